"""A pull-request comment: a summary table, then the findings grouped by rule.

Each finding shows its location, the offending line, the remedy and, when the verifier ran, what
the flaw measurably cost; each rule says once why it matters. It stays readable with hundreds of
findings: large groups fold into `<details>`, each rule shows at most `max_per_rule` findings
with an "... and N more" line, and the whole comment is kept under GitHub's comment size limit.
Everything taken from the user's files is escaped (see `markup`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from auditor.reporters.common import (
    GENERATION_MODEL_HEADER,
    GENERATION_SPEEDUP_HEADER,
    Payload,
    RuleInfo,
    environment_line,
    fmt_pct,
    fmt_seconds,
    fmt_x,
    generation_rows,
    group_by_rule,
    headline,
    impact_verdict,
    is_verify,
    location,
    match_impacts,
    plural,
    related_where,
    rule_infos,
)
from auditor.reporters.markup import html_text, md_code, md_fence, md_inline, md_text

MARKER = "<!-- benchaudit-report -->"  # lets a workflow find and update its own comment
MAX_PER_RULE = 25
FOLD_OVER = 5  # a rule with more findings than this folds into <details>
COMMENT_LIMIT = 60_000  # GitHub refuses comments over 65,536 characters


def render_markdown(
    payload: Payload,
    catalogue: Mapping[str, RuleInfo] | None = None,
    *,
    max_per_rule: int = MAX_PER_RULE,
    limit: int = COMMENT_LIMIT,
) -> str:
    """The comment, shrinking the per-rule cap until it fits in `limit` characters."""
    cap = max(1, max_per_rule)
    while True:
        text = _render(payload, catalogue, cap)
        if len(text) <= limit or cap == 1:
            break
        cap = max(1, cap // 2)
    if len(text) > limit:
        cut = text.rfind("\n", 0, limit - 200)
        text = (
            text[:cut]
            + "\n\n*The report is cut here to fit in a comment: see the SARIF or HTML report "
            "for the rest.*\n"
        )
    return text


def _render(payload: Payload, catalogue: Mapping[str, RuleInfo] | None, cap: int) -> str:
    rules = rule_infos(payload, catalogue)
    findings = list(payload.get("findings") or [])
    out: list[str] = [MARKER, f"## benchaudit {payload['kind']}: {headline(payload)}", ""]
    if findings:
        out += _summary_table(findings, rules)
    if is_verify(payload):
        out += _verify_tables(payload)
    out += _errors(payload)
    if findings:
        impacts = match_impacts(payload)
        index = {id(f): i for i, f in enumerate(findings)}
        out += ["### Findings", ""]
        for code, group in group_by_rule(findings).items():
            rule = rules[code]
            pairs = [(f, impacts.get(index[id(f)])) for f in group]
            out += _rule_section(rule, pairs, cap)
    out.append(
        f"<sub>benchaudit {html_text(payload['version'])}. "
        "<code>benchaudit rule CODE</code> prints a rule's documentation.</sub>"
    )
    return "\n".join(out) + "\n"


def _summary_table(findings: list[Mapping[str, Any]], rules: Mapping[str, RuleInfo]) -> list[str]:
    counts = Counter((str(f["code"]), str(f["severity"])) for f in findings)
    rows = [
        "| Rule | Name | Severity | Findings |",
        "|---|---|---|--:|",
    ]
    for (code, severity), n in sorted(counts.items()):
        name = rules[code].name if code in rules else ""
        rows.append(
            f"| {md_text(code)} | {md_code(name, in_table=True)} | {md_text(severity)} | {n} |"
        )
    rows.append(f"| **Total** | | | **{len(findings)}** |")
    return [*rows, ""]


def _verify_tables(payload: Payload) -> list[str]:
    env = payload.get("environment") or {}
    out = ["### Speedups", ""]
    out.append(
        "Baseline time / candidate time; median with its 95% interval. Measured on "
        + md_inline(environment_line(env))
        + "."
    )
    out.append("")
    comparisons = payload.get("comparisons") or []
    if comparisons:
        out += [
            "| Candidate | Baseline | Script's method | Canonical harness | Discrepancy "
            "| Verdict |",
            "|---|---|--:|--:|--:|---|",
        ]
        for c in comparisons:
            out.append(
                f"| {md_code(c['candidate'], in_table=True)} "
                f"| {md_code(c['baseline'], in_table=True)} "
                f"| {fmt_x(c.get('script_speedup'), c.get('script_ci'))} "
                f"| {fmt_x(c.get('canonical_speedup'), c.get('canonical_ci'))} "
                f"| {fmt_pct(c.get('discrepancy_pct'), c.get('discrepancy_ci_pct'))} "
                f"| {md_text(c.get('verdict') or 'n/a')} |"
            )
        out.append("")
    models = payload.get("models") or []
    if models:
        out += [
            "| Model | Steps | Per-sample time [95% CI] | Cold first call | Samples |",
            "|---|--:|--:|--:|--:|",
        ]
        for m in models:
            if m.get("error"):
                out.append(
                    f"| {md_code(m['name'], in_table=True)} | | error: {md_text(m['error'])} | | |"
                )
                continue
            source = f" ({md_text(m['steps_source'])})" if m.get("steps_source") else ""
            out.append(
                f"| {md_code(m['name'], in_table=True)} | {m.get('steps') or 'n/a'}{source} "
                f"| {fmt_seconds(m.get('per_sample_median_s'))} "
                f"[{fmt_seconds(m.get('ci_low_s'))}, {fmt_seconds(m.get('ci_high_s'))}] "
                f"| {fmt_seconds(m.get('cold_first_call_s'))} | {len(m.get('samples') or [])} |"
            )
        out.append("")
    out += _generation_tables(payload)
    notes = payload.get("notes") or []
    if notes:
        out += ["<details>", f"<summary>{plural(len(notes), 'note')}</summary>", ""]
        out += [f"- {md_inline(n)}" for n in notes]
        out += ["", "</details>", ""]
    return out


def _generation_tables(payload: Payload) -> list[str]:
    """Language models: each model's canonical metrics, and the speedups per metric."""
    models, speedups = generation_rows(payload)
    if not models:
        return []
    out = ["Language models (fixed length, greedy; tokens/s from the tokens produced):", ""]
    for header, rows, names in (
        (GENERATION_MODEL_HEADER, models, 1),
        (GENERATION_SPEEDUP_HEADER, speedups, 2),
    ):
        if not rows:
            continue
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * names + "--:|" * (len(header) - names))
        for row in rows:
            cells = [md_code(c, in_table=True) for c in row[:names]] + row[names:]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return out


def _errors(payload: Payload) -> list[str]:
    errors = payload.get("errors") or []
    if not errors:
        return []
    out = ["### Files not checked", ""]
    for e in errors:
        where = str(e["path"]) + (f" (cell {e['cell']})" if e.get("cell") else "")
        where += f":{e['line']}" if e.get("line") else ""
        out.append(f"- {md_code(where)}: {md_text(e['kind'])}: {md_inline(e['message'])}")
    return [*out, ""]


def _rule_section(
    rule: RuleInfo, pairs: list[tuple[Mapping[str, Any], Mapping[str, Any] | None]], cap: int
) -> list[str]:
    n = len(pairs)
    out = [
        f"#### {md_text(rule.code)} {md_code(rule.name)} ({md_text(rule.severity)}): "
        f"{plural(n, 'finding')}",
        "",
        f"**{md_inline(rule.summary)}.**" + (f" {md_inline(rule.why)}" if rule.why else ""),
        "",
    ]
    fold = n > FOLD_OVER
    if fold:
        out += [
            "<details>",
            f"<summary>Show {plural(n, html_text(rule.code) + ' finding')}</summary>",
            "",
        ]
    for f, impact in pairs[:cap]:
        out += _finding(f, impact)
    if n > cap:
        out += [f"- *... and {n - cap} more {md_text(rule.code)} findings*", ""]
    if fold:
        out += ["</details>", ""]
    return out


def fix_sentence(applicability: str, *, notebook: bool) -> str:
    """What a reviewer can do with a finding's fix, as the `fix` command would do it."""
    if notebook:
        return (
            f"An automatic fix exists ({md_text(applicability)}), but `benchaudit fix` does not "
            "rewrite notebooks: apply it by hand."
        )
    if applicability == "safe":
        return "A safe automatic fix is available: `benchaudit fix`."
    return (
        f"An {md_text(applicability)} automatic fix is available (it changes what the script "
        "does): `benchaudit fix --unsafe-fixes`."
    )


def _finding(f: Mapping[str, Any], impact: Mapping[str, Any] | None) -> list[str]:
    out = [f"- **{md_code(location(f))}**: {md_inline(f['message'])}", ""]
    source = str(f.get("source_line") or "").strip()
    if source:
        out += ["  " + line for line in md_fence(source).split("\n")]
        out.append("")
    out += [f"  **Remedy:** {md_inline(f['help'])}", ""]
    fix = f.get("fix")
    if fix:
        out += [f"  {fix_sentence(fix['applicability'], notebook=bool(f.get('cell')))}", ""]
    related = f.get("related") or []
    if related:
        see = "; ".join(f"{related_where(r)}: {md_inline(r['message'])}" for r in related)
        out += [f"  See also {see}.", ""]
    if impact is not None:
        out += [
            f"  **Measured impact** ({md_inline(impact['probe'])}): "
            f"{md_inline(impact['explanation'])}. **{md_text(impact_verdict(impact))}**.",
            "",
        ]
    return out
