"""The benchaudit rule catalogue: one rule per module, grouped by category.

Installed as `auditor.rules` (see pyproject.toml); never importable as a global `rules`.
"""
