"""The benchaudit rule catalogue: one rule per module, grouped by category.

Installed as `auditor.rules` (see pyproject.toml); never importable as a global `rules`.

`CATALOGUE` names every rule without importing it, as ruff's code table does: selection
(`--select BA1`, `ignore`, a name such as `weak-warmup`) and the cache key need only codes, so a
run imports a rule's module (and libcst) only for a file that gets past the screen.
`tests/test_registry.py` checks the table against the rule classes themselves (code, name,
module, class, default), so it cannot drift.
"""

from typing import NamedTuple


class Entry(NamedTuple):
    code: str
    name: str
    module: str  # under auditor.rules
    cls: str
    default_enabled: bool


CATALOGUE: tuple[Entry, ...] = (
    Entry("BA001", "unused-suppression", "meta.unused_suppression", "UnusedSuppression", True),
    Entry(
        "BA101", "unsynchronized-timer", "timing.unsynchronized_timer", "UnsynchronizedTimer", True
    ),
    Entry("BA102", "weak-warmup", "timing.weak_warmup", "WeakWarmup", True),
    Entry("BA103", "wall-clock-timer", "timing.wall_clock_timer", "WallClockTimer", False),
    Entry(
        "BA104",
        "event-stream-mismatch",
        "timing.event_stream_mismatch",
        "EventStreamMismatch",
        True,
    ),
    Entry("BA201", "per-prompt-loop", "workload.per_prompt_loop", "PerPromptLoop", True),
    Entry(
        "BA202",
        "inconsistent-step-source",
        "workload.inconsistent_step_source",
        "InconsistentStepSource",
        True,
    ),
    Entry("BA203", "io-in-timed-region", "workload.io_in_timed_region", "IoInTimedRegion", True),
    Entry(
        "BA204",
        "setup-in-timed-region",
        "workload.setup_in_timed_region",
        "SetupInTimedRegion",
        True,
    ),
    Entry(
        "BA205",
        "cache-clearing-in-timed-region",
        "workload.cache_clearing_in_timed_region",
        "CacheClearingInTimedRegion",
        True,
    ),
    Entry(
        "BA206",
        "unfixed-generation-length",
        "workload.unfixed_generation_length",
        "UnfixedGenerationLength",
        True,
    ),
    Entry("BA207", "mismatched-arms", "workload.mismatched_arms", "MismatchedArms", True),
    Entry(
        "BA208",
        "identical-server-prompts",
        "workload.identical_server_prompts",
        "IdenticalServerPrompts",
        True,
    ),
    Entry("BA301", "ratio-unit-mixing", "statistics.ratio_unit_mixing", "RatioUnitMixing", True),
    Entry("BA302", "too-few-samples", "statistics.too_few_samples", "TooFewSamples", True),
    Entry("BA303", "fixed-arm-order", "statistics.fixed_arm_order", "FixedArmOrder", False),
    Entry(
        "BA304",
        "closed-client-percentiles",
        "statistics.closed_client_percentiles",
        "ClosedClientPercentiles",
        True,
    ),
)
