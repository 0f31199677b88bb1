"""One self-contained HTML file: the findings table and, for a verify report, inline SVG charts
of each candidate's speedup (the script's method vs the canonical harness, with intervals) and of
each finding's measured impact.

No scripts, no fonts, no network: the styles are inline and a Content-Security-Policy forbids
loading anything. Every value from the user's files is HTML-escaped.
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
    impact_points,
    impact_verdict,
    is_verify,
    location,
    match_impacts,
    related_where,
    rule_infos,
    speedup_points,
)
from auditor.reporters.markup import html_inline, html_text
from auditor.reporters.svg import forest_svg

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
  max-width: 1200px; padding: 0 1em; color: #1f2328; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .6em 0; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.num { text-align: right; white-space: nowrap; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12px; }
pre { background: #f6f8fa; padding: 4px 6px; margin: 4px 0; white-space: pre-wrap; }
.sev-error { color: #cf222e; font-weight: 600; } .sev-warning { color: #9a6700; font-weight: 600; }
.sev-info { color: #0969da; }
.muted { color: #57606a; } .verdict-confirmed { font-weight: 600; }
svg.chart { display: block; margin: .8em 0; max-width: 100%; height: auto; }
svg .chart-title { font: 600 13px sans-serif; } svg .legend, svg .label { font: 12px sans-serif; }
svg .tick, svg .value { font: 11px sans-serif; fill: #57606a; }
svg .grid { stroke: #eaeef2; } svg .reference { stroke: #57606a; stroke-dasharray: 4 3; }
svg .interval { stroke-width: 2; }
""".strip()

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def render_html(payload: Payload, catalogue: Mapping[str, RuleInfo] | None = None) -> str:
    rules = rule_infos(payload, catalogue)
    findings = list(payload.get("findings") or [])
    kind = str(payload["kind"])
    title = f"benchaudit {kind}: {headline(payload)}"
    body: list[str] = [f"<h1>{html_text(title)}</h1>"]
    if findings:
        body += _summary(findings, rules)
    if is_verify(payload):
        body += _verify(payload)
    body += _errors(payload)
    body += _findings(payload, findings)
    if findings:
        body += _rules(findings, rules)
    body.append(f'<p class="muted">benchaudit {html_text(payload["version"])}</p>')
    return (
        "\n".join(
            [
                "<!DOCTYPE html>",
                '<html lang="en">',
                "<head>",
                '<meta charset="utf-8">',
                f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
                '<meta name="viewport" content="width=device-width, initial-scale=1">',
                f"<title>{html_text(title)}</title>",
                f"<style>\n{CSS}\n</style>",
                "</head>",
                "<body>",
                *body,
                "</body>",
                "</html>",
            ]
        )
        + "\n"
    )


def _summary(findings: list[Mapping[str, Any]], rules: Mapping[str, RuleInfo]) -> list[str]:
    counts = Counter((str(f["code"]), str(f["severity"])) for f in findings)
    out = [
        "<h2>Summary</h2>",
        '<table class="summary">',
        "<thead><tr><th>Rule</th><th>Name</th><th>Severity</th><th>Findings</th></tr></thead>",
        "<tbody>",
    ]
    for (code, severity), n in sorted(counts.items()):
        name = rules[code].name if code in rules else ""
        out.append(
            f'<tr><td><a href="#rule-{html_text(code)}">{html_text(code)}</a></td>'
            f"<td><code>{html_text(name)}</code></td>"
            f'<td class="sev-{html_text(severity)}">{html_text(severity)}</td>'
            f'<td class="num">{n}</td></tr>'
        )
    out += ["</tbody>", "</table>"]
    return out


def _verify(payload: Payload) -> list[str]:
    env = payload.get("environment") or {}
    out = [
        "<h2>Speedups</h2>",
        f'<p class="muted">Baseline time / candidate time; median with its 95% interval. '
        f"Measured on {html_inline(environment_line(env))}.</p>",
    ]
    chart = forest_svg(
        speedup_points(payload),
        title="Speedup over the baseline: the script's method vs the canonical harness",
        reference_label="1x (no speedup)",
        css_class="chart speedup-chart",
    )
    if chart:
        out.append(chart)
    comparisons = payload.get("comparisons") or []
    if comparisons:
        out += [
            '<table class="comparisons">',
            "<thead><tr><th>Candidate</th><th>Baseline</th><th>Script's method</th>"
            "<th>Canonical harness</th><th>Discrepancy</th><th>Verdict</th></tr></thead>",
            "<tbody>",
        ]
        for c in comparisons:
            verdict = str(c.get("verdict") or "n/a")
            out.append(
                f"<tr><td><code>{html_text(c['candidate'])}</code></td>"
                f"<td><code>{html_text(c['baseline'])}</code></td>"
                f'<td class="num">{fmt_x(c.get("script_speedup"), c.get("script_ci"))}</td>'
                f'<td class="num">{fmt_x(c.get("canonical_speedup"), c.get("canonical_ci"))}</td>'
                f'<td class="num">'
                f"{fmt_pct(c.get('discrepancy_pct'), c.get('discrepancy_ci_pct'))}</td>"
                f'<td class="verdict-{html_text(verdict)}">{html_text(verdict)}</td></tr>'
            )
        out += ["</tbody>", "</table>"]
    models = payload.get("models") or []
    if models:
        out += [
            "<h2>Models</h2>",
            '<table class="models">',
            "<thead><tr><th>Model</th><th>Steps</th><th>Per-sample time [95% CI]</th>"
            "<th>IQR</th><th>Cold first call</th><th>Samples</th></tr></thead>",
            "<tbody>",
        ]
        for m in models:
            if m.get("error"):
                out.append(
                    f"<tr><td><code>{html_text(m['name'])}</code></td>"
                    f'<td colspan="5" class="sev-error">error: {html_text(m["error"])}</td></tr>'
                )
                continue
            source = f" ({html_text(m['steps_source'])})" if m.get("steps_source") else ""
            out.append(
                f"<tr><td><code>{html_text(m['name'])}</code></td>"
                f'<td class="num">{html_text(m.get("steps") or "n/a")}{source}</td>'
                f'<td class="num">{fmt_seconds(m.get("per_sample_median_s"))} '
                f"[{fmt_seconds(m.get('ci_low_s'))}, {fmt_seconds(m.get('ci_high_s'))}]</td>"
                f'<td class="num">{fmt_seconds(m.get("iqr_s"))}</td>'
                f'<td class="num">{fmt_seconds(m.get("cold_first_call_s"))}</td>'
                f'<td class="num">{len(m.get("samples") or [])}</td></tr>'
            )
        out += ["</tbody>", "</table>"]
    out += _generation(payload)
    impact_chart = forest_svg(
        impact_points(payload),
        title="Measured impact of each finding (the flaw alone / canonical)",
        reference_label="1x (no effect)",
        css_class="chart impact-chart",
    )
    if impact_chart:
        out += ["<h2>Measured impact</h2>", impact_chart]
    notes = payload.get("notes") or []
    if notes:
        out += ["<h2>Notes</h2>", "<ul>", *(f"<li>{html_inline(n)}</li>" for n in notes), "</ul>"]
    return out


def _generation(payload: Payload) -> list[str]:
    """Language models: each model's canonical metrics, and the speedups per metric."""
    models, speedups = generation_rows(payload)
    if not models:
        return []
    out = ["<h2>Language models</h2>"]
    for header, rows, names in (
        (GENERATION_MODEL_HEADER, models, 1),
        (GENERATION_SPEEDUP_HEADER, speedups, 2),
    ):
        if not rows:
            continue
        out += [
            '<table class="generation">',
            "<thead><tr>" + "".join(f"<th>{html_text(h)}</th>" for h in header) + "</tr></thead>",
            "<tbody>",
        ]
        for row in rows:
            cells = [f"<td><code>{html_text(c)}</code></td>" for c in row[:names]]
            cells += [f'<td class="num">{html_text(c)}</td>' for c in row[names:]]
            out.append("<tr>" + "".join(cells) + "</tr>")
        out += ["</tbody>", "</table>"]
    return out


def _errors(payload: Payload) -> list[str]:
    errors = payload.get("errors") or []
    if not errors:
        return []
    out = [
        "<h2>Files not checked</h2>",
        '<table class="errors">',
        "<thead><tr><th>File</th><th>Kind</th><th>Message</th></tr></thead>",
        "<tbody>",
    ]
    for e in errors:
        where = str(e["path"]) + (f" (cell {e['cell']})" if e.get("cell") else "")
        where += f":{e['line']}" if e.get("line") else ""
        out.append(
            f"<tr><td><code>{html_text(where)}</code></td><td>{html_text(e['kind'])}</td>"
            f"<td>{html_inline(e['message'])}</td></tr>"
        )
    out += ["</tbody>", "</table>"]
    return out


def _findings(payload: Payload, findings: list[Mapping[str, Any]]) -> list[str]:
    if not findings:
        return ["<p>No findings.</p>"]
    impacts = match_impacts(payload)
    verify = is_verify(payload)
    head = "<th>Location</th><th>Rule</th><th>Severity</th><th>Finding</th>"
    if verify:
        head += "<th>Measured impact</th>"
    out = [
        "<h2>Findings</h2>",
        '<table class="findings">',
        f"<thead><tr>{head}</tr></thead>",
        "<tbody>",
    ]
    for i, f in enumerate(findings):
        sev = str(f["severity"])
        source = str(f.get("source_line") or "").strip()
        cell = [f"<p>{html_inline(f['message'])}</p>"]
        if source:
            cell.append(f"<pre>{html_text(source)}</pre>")
        cell.append(f"<p><b>Remedy:</b> {html_inline(f['help'])}</p>")
        related = f.get("related") or []
        if related:
            see = "; ".join(f"{related_where(r)}: {html_inline(r['message'])}" for r in related)
            cell.append(f'<p class="muted">See also {see}.</p>')
        row = (
            f'<tr class="finding sev-row-{html_text(sev)}">'
            f"<td><code>{html_text(location(f))}</code></td>"
            f'<td><a href="#rule-{html_text(f["code"])}">{html_text(f["code"])}</a> '
            f"<code>{html_text(f['name'])}</code></td>"
            f'<td class="sev-{html_text(sev)}">{html_text(sev)}</td>'
            f"<td>{''.join(cell)}</td>"
        )
        if verify:
            imp = impacts.get(i)
            row += (
                f"<td><p>{html_inline(imp['explanation'])}</p>"
                f'<p class="verdict-{html_text(imp["verdict"])}">'
                f"{html_text(impact_verdict(imp))}</p></td>"
                if imp is not None
                else '<td class="muted">not measured</td>'
            )
        out.append(row + "</tr>")
    out += ["</tbody>", "</table>"]
    return out


def _rules(findings: list[Mapping[str, Any]], rules: Mapping[str, RuleInfo]) -> list[str]:
    out = ["<h2>Rules</h2>"]
    for code in group_by_rule(findings):
        r = rules[code]
        out.append(
            f'<h3 id="rule-{html_text(code)}">{html_text(code)} <code>{html_text(r.name)}</code>'
            f"</h3>"
        )
        out.append(f"<p><b>{html_inline(r.summary)}.</b> {html_inline(r.why)}</p>")
        if r.fix:
            out.append(f"<p><b>Fix:</b> {html_inline(r.fix)}</p>")
    return out
