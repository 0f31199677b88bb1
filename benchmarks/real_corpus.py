"""Accuracy on real code: `benchaudit check` on a materialized real-corpus manifest, scored file by
file and class by class exactly as the reviews score it (`../shared/corpus/score.py`).

    python3 ../shared/corpus/materialize.py MIRRORS OUT      # once: writes OUT/files.txt
    python benchmarks/real_corpus.py OUT [--manifest M.jsonl] [--scorer score.py] [--record]

The labelled files are checked as a pre-commit hook checks them (named on the command line,
`--isolated`: the authors' own configuration files are not benchaudit's), then the scorer prints
every false positive and negative, recall per class, precision and recall. `--record` writes the
table, with the date and commit, to benchmarks/results/real_corpus.txt. The materialized files
are other people's code: they are never committed. The slowest file is printed too (target:
none over 2 s).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import io
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT))

from auditor.api import RunRequest, prepare  # noqa: E402
from auditor.reporters.json_report import build_check_payload  # noqa: E402


def load_scorer(path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("corpus_score", path)
    if spec is None or spec.loader is None:
        sys.exit(f"error: cannot load the scorer {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the materialized corpus (with files.txt)")
    parser.add_argument("--manifest", type=Path, default=SHARED / "real-dev.jsonl")
    parser.add_argument("--scorer", type=Path, default=SHARED / "score.py")
    parser.add_argument("--record", action="store_true", help="write benchmarks/results/")
    args = parser.parse_args()
    listing = args.out / "files.txt"
    if not listing.is_file():
        sys.exit(f"error: {listing} not found: run materialize.py first")
    files = [args.out / line for line in listing.read_text().split() if line]

    slowest = (0.0, "")
    results = []
    run = prepare(RunRequest(paths=tuple(files), isolated=True))
    for group in run.groups:
        for path, display in group.files:
            one = prepare(RunRequest(paths=(path,), isolated=True))
            t0 = time.perf_counter()
            results += one.check().files
            slowest = max(slowest, (time.perf_counter() - t0, display))
    from auditor.core import CheckReport

    report = CheckReport(sorted(results, key=lambda r: r.path))
    payload = build_check_payload(report, [r.META for r in run.rules])
    findings = args.out / "findings.json"
    findings.write_text(json.dumps(payload))

    scorer = load_scorer(args.scorer)
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        scorer.real(str(findings), args.manifest)
    table = text.getvalue()
    by_rule: dict[str, int] = {}
    for f in payload["findings"]:
        by_rule[f["code"]] = by_rule.get(f["code"], 0) + 1
    summary = [
        f"benchaudit on real code: {len(files)} labelled files of {args.manifest.name}",
        f"date {datetime.date.today()}, commit {_commit()}",
        f"findings by rule: {', '.join(f'{c} {n}' for c, n in sorted(by_rule.items()))}",
        f"slowest file: {slowest[0]:.2f} s ({slowest[1]})",
        "",
    ]
    out = "\n".join(summary) + table
    print(out, end="")
    if args.record:
        (ROOT / "benchmarks" / "results" / "real_corpus.txt").write_text(
            "\n".join([*summary, *(ln for ln in table.splitlines() if not ln.startswith(" "))])
            + "\n"
        )


def _commit() -> str:
    try:
        res = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return "?"
    return res.stdout.strip() or "?"


if __name__ == "__main__":
    main()
