"""What the screen (`auditor/screen.py`, issue 14) saves, and that it changes no finding.

    python benchmarks/screen.py DIR [DIR ...] [--runs 3]

For each folder: how many of its Python files the screen lets through to the analysis, the time
of one in-process check of the whole folder with the screen and without it (every rule, no
configuration, no result cache, one process; medians of --runs, the two alternating), their
ratio, and whether both gave the same findings (they must).
"""

from __future__ import annotations

import argparse
import ast
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditor.api import RunRequest, prepare
from auditor.project import ProjectModules
from auditor.screen import may_have_findings


def _check(folder: Path, screen: bool) -> tuple[float, dict[str, object]]:
    start = time.perf_counter()
    report = prepare(
        RunRequest(paths=(folder,), isolated=True, select=["ALL"], screen=screen)
    ).check()
    elapsed = time.perf_counter() - start
    return elapsed, {r.path: (r.findings, r.error) for r in report.files}


def _passed(folder: Path) -> tuple[int, int]:
    files = sorted(folder.rglob("*.py"))
    kept = 0
    for path in files:
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            kept += 1  # the analysis decides
            continue
        kept += may_have_findings(source, tree, ProjectModules(path))
    return kept, len(files)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    for folder in args.folders:
        kept, total = _passed(folder)
        times: dict[bool, list[float]] = {True: [], False: []}
        results: dict[bool, dict[str, object]] = {}
        for run in range(args.runs):
            for screen in (True, False) if run % 2 == 0 else (False, True):
                elapsed, results[screen] = _check(folder, screen)
                times[screen].append(elapsed)
        on, off = statistics.median(times[True]), statistics.median(times[False])
        same = "same findings" if results[True] == results[False] else "FINDINGS DIFFER"
        print(
            f"{folder}: {total} files, {kept} analysed after the screen ({kept / total:.0%}); "
            f"check {on:.2f} s with the screen, {off:.2f} s without ({on / off:.2f}x); {same}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
