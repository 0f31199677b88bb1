"""The HTML report: self-contained, escaped, and rendered by a real headless browser with its
tables and SVG charts in the DOM. The PNG chart: written by matplotlib, or a one-line error."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from reporter_helpers import GOLDEN, check_payload, cli, injection_payload, verify_payload

from auditor.reporters.html import render_html
from auditor.review import catalogue


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip(
            "no chromium on PATH: the HTML report is checked in a headless browser "
            "(.ci/run installs Debian's chromium; elsewhere: apt-get install chromium)"
        )
    return found


def test_without_chromium_the_browser_tests_skip_saying_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(pytest.skip.Exception, match=r"^no chromium on PATH"):
        chromium()


def dump_dom(html_file: Path, tmp_path: Path) -> str:
    res = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            html_file.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "<html" in res.stdout, res.stderr[-2000:]
    return res.stdout


def test_verify_html_in_a_browser_has_tables_and_charts(tmp_path: Path) -> None:
    payload = verify_payload()
    page = tmp_path / "report.html"
    page.write_text(render_html(payload, catalogue()), encoding="utf-8")
    dom = dump_dom(page, tmp_path)
    assert len(re.findall(r'<tr class="finding', dom)) == len(payload["findings"])
    assert re.search(r'<svg[^>]*class="chart speedup-chart"', dom)
    assert re.search(r'<svg[^>]*class="chart impact-chart"', dom)
    speedup_svg = dom.split('class="chart speedup-chart"')[1].split("</svg>")[0]
    # two markers (script's method, canonical harness) per candidate, each with its interval
    assert speedup_svg.count('<g class="point">') == 2 * len(payload["comparisons"])
    assert speedup_svg.count('class="interval"') == 3 * 2 * len(payload["comparisons"])
    impact_svg = dom.split('class="chart impact-chart"')[1].split("</svg>")[0]
    assert impact_svg.count('<g class="point">') >= len(payload["impacts"])
    assert '<table class="comparisons">' in dom and '<table class="models">' in dom


def test_crafted_html_in_a_browser_stays_text(tmp_path: Path) -> None:
    page = tmp_path / "crafted.html"
    page.write_text(render_html(injection_payload(), catalogue()), encoding="utf-8")
    dom = dump_dom(page, tmp_path)
    assert (
        "<script" not in dom
        and "<img" not in dom
        and "onload=" not in dom.replace("&lt;svg onload=", "")
    )
    assert "a&lt;script&gt;|b.py:52:13" in dom


def test_html_is_self_contained() -> None:
    for payload in (check_payload(), verify_payload(), injection_payload()):
        page = render_html(payload, catalogue())
        assert "<script" not in page
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
        assert "@import" not in page and "url(" not in page
        assert "Content-Security-Policy" in page


def test_chart_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "speedup.png"
    res = cli(
        "report", str(GOLDEN / "verify_input.json"), "--format", "markdown", "--chart", str(out)
    )
    assert res.returncode == 1, res.stderr  # the report has findings
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chart_needs_a_verify_report(tmp_path: Path) -> None:
    saved = tmp_path / "check.json"
    saved.write_text(cli("check", "fixtures/seed/test.py", "--format", "json").stdout)
    res = cli("report", str(saved), "--chart", str(tmp_path / "c.png"))
    assert res.returncode == 2
    assert res.stderr.strip() == "error: --chart needs a verify report (it plots measured speedups)"


def test_chart_without_matplotlib_is_one_line(tmp_path: Path) -> None:
    fake = tmp_path / "site" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named matplotlib')\n")
    res = cli(
        "report",
        str(GOLDEN / "verify_input.json"),
        "--chart",
        str(tmp_path / "c.png"),
        env={"PYTHONPATH": str(tmp_path / "site")},
    )
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1
    assert "--chart needs matplotlib: pip install 'benchaudit[report]'" in res.stderr
