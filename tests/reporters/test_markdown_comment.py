"""The Markdown PR comment: summary tables, findings by rule, escaping of everything the user
controls, and staying readable (and under GitHub's size limit) with hundreds of findings."""

from __future__ import annotations

import re

from reporter_helpers import check_payload, injection_payload, many_findings_payload, verify_payload

from auditor.reporters.markdown import MARKER, render_markdown
from auditor.reporters.markup import md_code, md_inline, md_text
from auditor.review import catalogue


def test_check_comment_has_a_summary_and_every_finding() -> None:
    payload = check_payload()
    text = render_markdown(payload, catalogue())
    assert text.startswith(MARKER)
    assert "| Rule | Name | Severity | Findings |" in text
    assert f"| **Total** | | | **{len(payload['findings'])}** |" in text
    for f in payload["findings"]:
        assert f"`{f['path']}:{f['line']}:{f['column']}`" in text
        assert f["source_line"].strip() in text
    assert "**Remedy:**" in text
    # why it matters comes from the rule documentation
    assert "CUDA kernels run asynchronously" in text


def test_verify_comment_has_speedups_with_intervals_and_measured_impacts() -> None:
    payload = verify_payload()
    text = render_markdown(payload, catalogue())
    assert "| Candidate | Baseline | Script's method | Canonical harness |" in text
    for c in payload["comparisons"]:
        lo, hi = c["canonical_ci"]
        assert f"{c['canonical_speedup']:.2f}x [{lo:.2f}, {hi:.2f}]" in text
    assert text.count("**Measured impact**") == len(payload["impacts"])


def test_crafted_names_and_messages_stay_text() -> None:
    text = render_markdown(injection_payload(), catalogue())
    # raw markup only inside code blocks and code spans, where Markdown shows it as text
    prose = re.sub(r"(?s)````python.*?````", "", text)
    prose = re.sub(r"(`+).*?\1", "", prose)
    assert "<script" not in prose and "<img" not in prose and "<svg" not in prose
    assert "<b>" not in prose and "<i>" not in prose
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "\\[click](http://evil.example)" in text  # no link
    assert "@&#8203;octocat" in text  # no mention
    assert "\\*\\*bold\\*\\*" in text
    assert "`<b>c\\|x</b>`" in text  # a pipe in a table cell does not split it
    assert "````python\n  s = '```</pre>" in text  # a longer fence than the code's backticks
    for line in text.splitlines():
        if line.startswith("|"):
            cells = line.replace("\\|", "").count("|")
            assert cells in (5, 7, 6), line


def test_escaping_primitives() -> None:
    assert md_text("a|b<c>&d*e_f`g") == "a\\|b&lt;c&gt;&amp;d\\*e\\_f\\`g"
    assert md_code("x`y") == "``x`y``"
    assert md_code("`x") == "`` `x ``"
    assert md_code("a|b", in_table=True) == "`a\\|b`"
    assert md_inline("`pipe(...)` is *called*") == "`pipe(...)` is \\*called\\*"
    assert md_inline("odd ` tick") == "odd \\` tick"


def test_hundreds_of_findings_fold_and_cap() -> None:
    payload = many_findings_payload(300)
    text = render_markdown(payload, catalogue(), max_per_rule=25)
    assert "<details>\n<summary>Show 300 BA201 findings</summary>" in text
    assert "- *... and 275 more BA201 findings*" in text
    assert text.count("scripts/bench_") == 25
    assert "BA301 `ratio-unit-mixing` (error): 1 finding" in text  # small groups stay open


def test_the_comment_fits_githubs_limit() -> None:
    payload = many_findings_payload(300)
    text = render_markdown(payload, catalogue(), max_per_rule=1000, limit=20_000)
    assert len(text) <= 20_000
    assert "more BA201 findings" in text


def test_notebook_locations_name_the_cell() -> None:
    payload = check_payload()
    f = payload["findings"][0]
    related = [{"line": 1, "column": 1, "cell": 2, "message": "warm-up call"}]
    payload["findings"] = [{**f, "path": "bench.ipynb", "cell": 3, "related": related}]
    text = render_markdown(payload, catalogue())
    assert f"`bench.ipynb (cell 3):{f['line']}:{f['column']}`" in text
    assert "See also cell 2 line 1: warm-up call." in text
