"""JSON Schemas of benchaudit's public contracts (shipped as auditor.schemas)."""
