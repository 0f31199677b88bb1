"""GitHub workflow commands: one annotation per finding, escaped as the runner expects."""

from __future__ import annotations

from reporter_helpers import check_payload, injection_payload, verify_payload

from auditor.reporters.github import render_github
from auditor.reporters.markup import gh_data, gh_property


def test_one_annotation_per_finding() -> None:
    payload = check_payload()
    lines = render_github(payload).splitlines()
    annotations = [line for line in lines if line.startswith("::")]
    assert len(annotations) == len(payload["findings"])
    f = next(f for f in payload["findings"] if f["code"] == "BA201")
    expected = (
        f"::error file=fixtures/seed/test.py,line={f['line']},col={f['column']},"
        f"endLine={f['end_line']},endColumn={f['end_column']},title=BA201 per-prompt-loop::"
    )
    assert any(a.startswith(expected) for a in annotations)
    assert any(a.startswith("::warning ") for a in annotations)  # BA102 is a warning
    assert lines[-1].startswith("benchaudit check: ")


def test_escaping_rules() -> None:
    assert gh_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert gh_property("a,b:c%d\ne") == "a%2Cb%3Ac%25d%0Ae"


def test_a_crafted_message_cannot_start_a_second_command() -> None:
    text = render_github(injection_payload())
    for line in text.splitlines()[:-1]:
        assert line.startswith(("::error ", "::warning ", "::notice ")), line
    assert "file=bad%2Cfile%3A%25.py,line=3" in text
    assert "%250A::error::no%0D%0Asecond line" in text


def test_verify_annotations_carry_the_measurement() -> None:
    payload = verify_payload()
    text = render_github(payload)
    assert text.count("%0Ameasured: ") == len(payload["impacts"])
    assert text.count("::notice title=speedup of ") == len(payload["comparisons"])


def test_a_notebook_finding_is_annotated_on_its_file_with_the_cell_in_the_message() -> None:
    payload = check_payload()
    f = payload["findings"][0]
    payload["findings"] = [{**f, "path": "bench.ipynb", "cell": 3, "line": 2}]
    (annotation,) = [line for line in render_github(payload).splitlines() if line.startswith("::")]
    assert annotation.startswith(f"::{'warning' if f['severity'] == 'warning' else 'error'} ")
    assert "file=bench.ipynb,title=" in annotation and "line=" not in annotation
    assert "::cell 3, line 2: " in annotation
