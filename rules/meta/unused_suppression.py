"""BA001 unused-suppression: a `# benchaudit: ignore[...]` comment that suppresses nothing."""

from __future__ import annotations

from auditor.core import Category, Severity
from auditor.engine import UNUSED_SUPPRESSION, Rule
from auditor.rulemeta import RuleDocs, RuleMeta


class UnusedSuppression(Rule):
    """Reported by the engine's suppression pass, which alone knows which comments matched;
    this class carries the rule's metadata and documentation for the catalogue."""

    META = RuleMeta(
        code=UNUSED_SUPPRESSION,
        name="unused-suppression",
        summary="A suppression comment names a code that reports nothing on its line",
        category=Category.META,
        severity=Severity.WARNING,
        message="Suppression of `{code}` matches no finding on this line",
        fix_title="Remove the unused code from the `# benchaudit: ignore[...]` comment",
        docs=RuleDocs(
            what_it_does="Reports `# benchaudit: ignore[CODE]` comments whose code suppresses no "
            "finding on that line.",
            why_is_this_bad="A stale suppression hides the next real finding on the line and "
            "tells a reviewer that a flaw exists where none does.",
            example=(
                "import time\n"
                "t0 = time.perf_counter()\n"
                "elapsed = time.perf_counter() - t0  # benchaudit: ignore[BA101]\n"
            ),
            use_instead=(
                "import time\nt0 = time.perf_counter()\nelapsed = time.perf_counter() - t0\n"
            ),
            known_problems="Only codes of enabled rules are checked: a suppression for a rule "
            "that is switched off is left alone.",
            references=("https://docs.astral.sh/ruff/rules/unused-noqa/",),
        ),
    )
