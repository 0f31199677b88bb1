"""Precision and recall of every rule on the labelled corpus in `benchmarks/corpus/`.

A case is a single file, or a folder (a multi-file project whose files are checked together, so
helpers imported from a sibling module are followed). Labels are inline `# expect: CODE[, CODE]`
comments on the line a finding must point at; every other line is asserted clean. A finding is a
true positive when its (file, line, code) matches a label, a false positive otherwise; a label
without a finding is a false negative.

    python benchmarks/accuracy.py [--corpus DIR] [--write benchmarks/results/accuracy.txt]
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from auditor.discovery import discover  # noqa: E402
from auditor.options import CheckOptions  # noqa: E402
from auditor.parallel import check_many  # noqa: E402
from auditor.registry import all_rules, select_codes  # noqa: E402

CORPUS = ROOT / "benchmarks" / "corpus"
EXPECT_RE = re.compile(r"#\s*expect:\s*([A-Z0-9,\s]+)")
PRECISION_TARGET = 0.9
RECALL_TARGET = 0.8

Key = tuple[str, int, str]  # (path relative to the corpus, 1-based line, code)


@dataclass(slots=True)
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def meets_targets(self) -> bool:
        return self.precision >= PRECISION_TARGET and self.recall >= RECALL_TARGET


@dataclass(slots=True)
class Accuracy:
    cases: int = 0
    files: int = 0
    per_rule: dict[str, Score] = field(default_factory=dict)
    false_positives: list[Key] = field(default_factory=list)
    false_negatives: list[Key] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def total(self) -> Score:
        out = Score()
        for s in self.per_rule.values():
            out.tp, out.fp, out.fn = out.tp + s.tp, out.fp + s.fp, out.fn + s.fn
        return out

    def failing(self) -> list[str]:
        return [code for code, s in sorted(self.per_rule.items()) if not s.meets_targets()]


def labels(path: Path, rel: str) -> set[Key]:
    out: set[Key] = set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        m = EXPECT_RE.search(line)
        if m:
            out |= {(rel, lineno, c.strip()) for c in m.group(1).split(",") if c.strip()}
    return out


def cases(corpus: Path) -> list[Path]:
    """Top-level files and folders of the corpus, each one case."""
    return sorted(
        p
        for p in corpus.iterdir()
        if not p.name.startswith((".", "_")) and (p.is_dir() or p.suffix == ".py")
    )


def measure(corpus: Path = CORPUS, codes: Iterable[str] | None = None) -> Accuracy:
    """Check every case with every rule and score the findings against the labels."""
    codes_all = select_codes(select=["ALL"])
    wanted = set(codes) if codes is not None else {r.META.code for r in all_rules()}
    result = Accuracy(per_rule={c: Score() for c in sorted(wanted) if c != "BA001"})
    for case in cases(corpus):
        result.cases += 1
        files = list(discover([case]))
        report = check_many(list(files), CheckOptions(codes_all))
        expected: set[Key] = set()
        for path, _ in files:
            result.files += 1
            expected |= labels(path, path.resolve().relative_to(corpus.resolve()).as_posix())
        rel_of = {disp: p.resolve().relative_to(corpus.resolve()).as_posix() for p, disp in files}
        result.errors += [f"{rel_of.get(e.path, e.path)}: {e.message}" for e in report.errors]
        got = {(rel_of[f.path], f.line, f.code) for f in report.findings}
        for key in got | expected:
            code = key[2]
            if code == "BA001" or (code not in wanted and key not in expected):
                continue
            score = result.per_rule.setdefault(code, Score())
            if key in got and key in expected:
                score.tp += 1
            elif key in got:
                score.fp += 1
                result.false_positives.append(key)
            else:
                score.fn += 1
                result.false_negatives.append(key)
    result.false_positives.sort()
    result.false_negatives.sort()
    return result


def render(acc: Accuracy, today: str | None = None) -> str:
    names = {r.META.code: r.META.name for r in all_rules()}
    day = today or datetime.date.today().isoformat()
    lines = [
        f"benchaudit accuracy on benchmarks/corpus: {acc.cases} cases ({acc.files} files), {day}",
        f"targets: precision >= {PRECISION_TARGET}, recall >= {RECALL_TARGET} for every rule",
        "",
        f"{'code':<6} {'name':<34} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>9} {'recall':>7}",
    ]
    for code, s in sorted(acc.per_rule.items()):
        flag = "" if s.meets_targets() else "  MISSED"
        lines.append(
            f"{code:<6} {names.get(code, '?'):<34} {s.tp:>4} {s.fp:>4} {s.fn:>4} "
            f"{s.precision:>9.2f} {s.recall:>7.2f}{flag}"
        )
    t = acc.total
    lines.append(
        f"{'total':<6} {'':<34} {t.tp:>4} {t.fp:>4} {t.fn:>4} {t.precision:>9.2f} {t.recall:>7.2f}"
    )
    if acc.false_positives:
        lines += ["", "false positives:"] + [f"  {p}:{n}: {c}" for p, n, c in acc.false_positives]
    if acc.false_negatives:
        lines += ["", "false negatives:"] + [f"  {p}:{n}: {c}" for p, n, c in acc.false_negatives]
    if acc.errors:
        lines += ["", "files that could not be checked:"] + [f"  {e}" for e in acc.errors]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--write", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()
    acc = measure(args.corpus)
    text = render(acc)
    sys.stdout.write(text)
    if args.write is not None:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(text, encoding="utf-8")
    sys.exit(0 if not acc.failing() and not acc.errors else 1)


if __name__ == "__main__":
    main()
