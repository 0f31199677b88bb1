"""Pull-request review: report only what a change introduced, and render any report format from
one JSON payload.

- `--changed-since REV`: keep the findings on lines added or changed since the git revision
  REV (from `git diff --unified=0 REV`); a file git does not track counts as changed throughout.
- `--baseline FILE`: drop the findings recorded by `--write-baseline FILE`, matched by
  fingerprint (rule, file and the offending line's text, so unrelated line shifts do not matter)
  as a multiset: two identical findings against a baseline of one still report one.
- `render_payload`: every output format from the JSON payload, with the rule documentation of
  the installed catalogue.

git runs with an argument list (never a shell) and literal pathspecs.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.core import CheckReport, FileError, FileResult, Finding

BASELINE_VERSION = 1
FORMATS = ("text", "json", "sarif", "markdown", "github", "html")


class ReviewError(Exception):
    """A usage problem with --changed-since or a baseline; the message is one line for the user."""


# -- --changed-since ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Changes:
    """Lines added or changed per display path; `None` means the whole file (untracked)."""

    lines: Mapping[str, frozenset[int] | None]

    def touches(self, path: str, first: int, last: int) -> bool:
        if path not in self.lines:
            return False
        changed = self.lines[path]
        return changed is None or any(n in changed for n in range(first, last + 1))

    def changed(self, path: str) -> bool:
        return path in self.lines


def _git(args: Sequence[str], cwd: Path) -> bytes:
    try:
        res = subprocess.run(
            ["git", "--no-pager", "--literal-pathspecs", *args],
            cwd=cwd,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise ReviewError("--changed-since needs git, which is not installed") from None
    if res.returncode != 0:
        message = res.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ReviewError(f"git {args[0]} failed: {message[-1] if message else res.returncode}")
    return res.stdout


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def changed_lines(files: Mapping[str, Path], rev: str, cwd: Path | None = None) -> Changes:
    """The lines of each file (display path -> path on disk) changed since `rev`."""
    where = cwd or Path.cwd()
    if rev.startswith("-") or not rev.strip():
        raise ReviewError(f"--changed-since expects a git revision, not `{rev}`")
    try:
        top = Path(_decode(_git(["rev-parse", "--show-toplevel"], where)).strip())
    except ReviewError:
        raise ReviewError(
            f"--changed-since needs a git repository, and {where} is not in one"
        ) from None
    try:
        commit = _decode(_git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], top))
    except ReviewError:
        raise ReviewError(f"--changed-since: unknown git revision `{rev}`") from None

    top = top.resolve()
    inside: dict[str, str] = {}  # path relative to the top -> display path
    whole: set[str] = set()
    for display, path in files.items():
        try:
            rel = path.resolve().relative_to(top).as_posix()
        except ValueError:  # outside the repository: nothing to compare it with
            whole.add(display)
            continue
        inside[rel] = display
    lines: dict[str, frozenset[int] | None] = {d: None for d in whole}
    rels = sorted(inside)
    for chunk in (rels[i : i + 200] for i in range(0, len(rels), 200)):
        untracked = _git(["ls-files", "-z", "--others", "--", *chunk], top)
        for rel in filter(None, _decode(untracked).split("\0")):
            if rel in inside:
                lines[inside[rel]] = None
        diff = _git(
            [
                "diff",
                "--no-color",
                "--no-ext-diff",
                "--no-renames",
                "--no-textconv",
                "--unified=0",
                "--src-prefix=a/",
                "--dst-prefix=b/",
                commit.strip(),
                "--",
                *chunk,
            ],
            top,
        )
        for rel, added in parse_diff(_decode(diff)).items():
            shown = inside.get(rel)
            if shown is not None and shown not in lines:
                lines[shown] = frozenset(added)
    return Changes(lines)


_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def parse_diff(text: str) -> dict[str, set[int]]:
    """Added or changed line numbers of the new side, per file, from a `--unified=0` diff.
    A file that was deleted is left out; a file with only deletions maps to no lines."""
    out: dict[str, set[int]] = {}
    current: set[int] | None = None
    old_left = new_left = 0
    new_line = 0
    for line in text.split("\n"):
        if old_left or new_left:  # inside a hunk: count its lines, never read them as headers
            if line.startswith("-"):
                old_left -= 1
            elif line.startswith("+"):
                if current is not None:
                    current.add(new_line)
                new_line += 1
                new_left -= 1
            elif line.startswith("\\"):
                pass  # "\ No newline at end of file"
            else:
                old_left = new_left = 0
            continue
        if line.startswith("+++ "):
            name = _unquote(line[4:])
            if name.startswith("b/"):
                current = out.setdefault(name[2:], set())
            else:  # /dev/null: the file was deleted
                current = None
        elif line.startswith("@@"):
            m = _HUNK.match(line)
            if m:
                old_left = int(m.group(1)) if m.group(1) is not None else 1
                new_line = int(m.group(2))
                new_left = int(m.group(3)) if m.group(3) is not None else 1
    return out


_OCTAL = re.compile(r"[0-7]{3}")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def _unquote(name: str) -> str:
    """git's C-style quoting of unusual file names (`"b/a\\"b.py"`, octal UTF-8 bytes)."""
    name = name.rstrip("\t")
    if not (len(name) >= 2 and name.startswith('"') and name.endswith('"')):
        return name
    body, out, i = name[1:-1], bytearray(), 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if _OCTAL.fullmatch(body[i + 1 : i + 4]):
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
            out.append(_ESCAPES.get(nxt, ord(nxt)))
            i += 2
            continue
        out += ch.encode("utf-8", "surrogateescape")
        i += 1
    return bytes(out).decode("utf-8", "surrogateescape")


def only_changed(report: CheckReport, changes: Changes) -> CheckReport:
    """The findings on changed lines, and the errors of changed files. A notebook finding
    (which counts lines within its cell) is kept when its notebook changed at all."""
    files: list[FileResult] = []
    for result in report.files:
        findings = tuple(
            f
            for f in result.findings
            if (
                changes.changed(f.path)
                if f.cell is not None
                else changes.touches(f.path, f.span.line, max(f.span.end_line, f.span.line))
            )
        )
        error = result.error if result.error and changes.changed(result.path) else None
        files.append(FileResult(result.path, findings, error))
    return CheckReport(files)


# -- baselines --------------------------------------------------------------------------------


def baseline_payload(findings: Iterable[Finding]) -> dict[str, Any]:
    counts: Counter[tuple[str, str, str, str]] = Counter(
        (f.path, f.code, f.name, f.fingerprint()) for f in findings
    )
    return {
        "tool": "benchaudit",
        "baseline_version": BASELINE_VERSION,
        "findings": [
            {"path": path, "code": code, "name": name, "fingerprint": fp, "count": n}
            for (path, code, name, fp), n in sorted(counts.items())
        ],
    }


def write_baseline(path: Path, findings: Iterable[Finding]) -> int:
    """Record the findings (atomically); returns how many."""
    from auditor.resources import write_atomic

    payload = baseline_payload(findings)
    try:
        write_atomic(path, json.dumps(payload, indent=2) + "\n")
    except OSError as exc:
        raise ReviewError(f"cannot write baseline {path}: {exc.strerror or exc}") from None
    return sum(int(e["count"]) for e in payload["findings"])


def load_baseline(path: Path) -> Counter[str]:
    """Fingerprint -> how many findings with it the baseline accepts."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReviewError(f"baseline file not found: {path}") from None
    except OSError as exc:
        raise ReviewError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReviewError(f"baseline {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("tool") != "benchaudit":
        raise ReviewError(f"{path} is not a benchaudit baseline (write one with --write-baseline)")
    if data.get("baseline_version") != BASELINE_VERSION:
        raise ReviewError(
            f"baseline {path} has version {data.get('baseline_version')!r}, "
            f"this benchaudit reads {BASELINE_VERSION}"
        )
    entries = data.get("findings")
    if not isinstance(entries, list):
        raise ReviewError(f"baseline {path}: `findings` must be a list")
    counts: Counter[str] = Counter()
    for n, entry in enumerate(entries):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        count = entry.get("count", 1) if isinstance(entry, dict) else None
        if (
            not isinstance(fp, str)
            or not isinstance(count, int)
            or isinstance(count, bool)
            or count < 1
        ):
            raise ReviewError(
                f"baseline {path}: findings[{n}] needs a `fingerprint` string and a `count` >= 1"
            )
        counts[fp] += count
    return counts


def without_baseline(report: CheckReport, baseline: Counter[str]) -> tuple[CheckReport, int]:
    """The report less the findings the baseline accepts; and how many were dropped."""
    left = Counter(baseline)
    keep: set[int] = set()
    for f in report.findings:  # sorted, so which of two identical findings is kept is stable
        fp = f.fingerprint()
        if left[fp] > 0:
            left[fp] -= 1
        else:
            keep.add(id(f))
    files = [
        FileResult(r.path, tuple(f for f in r.findings if id(f) in keep), r.error)
        for r in report.files
    ]
    dropped = sum(len(r.findings) for r in report.files) - len(keep)
    return CheckReport(files), dropped


# -- rendering --------------------------------------------------------------------------------


def catalogue() -> dict[str, Any]:
    """The installed rules' descriptions and documentation, by code (empty if unavailable)."""
    from auditor.reporters.common import RuleInfo

    try:
        from auditor.docs import rule_markdown
        from auditor.registry import all_rules
    except ImportError:  # pragma: no cover - the rules ship with the package
        return {}
    return {r.META.code: RuleInfo.from_meta(r.META, rule_markdown(r.META)) for r in all_rules()}


def render_payload(payload: dict[str, Any], fmt: str, *, script: str | None = None) -> str:
    """`payload` (a validated JSON report) in any output format."""
    if fmt == "json":
        return json.dumps(payload, indent=2) + "\n"
    if fmt == "text":
        if payload.get("kind") == "verify":
            from auditor.verify.report import render_text

            first = (payload.get("findings") or [{}])[0].get("path")
            traced = (payload.get("trace") or {}).get("script")
            return render_text(payload, script or first or traced or "script")
        from auditor.reporters.text import render_check

        return render_check(report_from_payload(payload))
    rules = catalogue()
    if fmt == "sarif":
        from auditor.reporters.sarif import render_sarif

        return render_sarif(payload, rules)
    if fmt == "markdown":
        from auditor.reporters.markdown import render_markdown

        return render_markdown(payload, rules)
    if fmt == "github":
        from auditor.reporters.github import render_github

        return render_github(payload, rules)
    if fmt == "html":
        from auditor.reporters.html import render_html

        return render_html(payload, rules)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def report_from_payload(payload: Mapping[str, Any]) -> CheckReport:
    """A CheckReport with the payload's findings and errors (for the text renderer). Files
    without findings or errors are counted but unnamed in the payload."""
    by_path: dict[str, list[Finding]] = {}
    for d in payload.get("findings") or []:
        by_path.setdefault(d["path"], []).append(Finding.from_dict(d))
    errors = {e["path"]: FileError.from_dict(e) for e in payload.get("errors") or []}
    files = [
        FileResult(p, tuple(by_path.get(p, ())), errors.get(p))
        for p in sorted(set(by_path) | set(errors))
    ]
    total = int((payload.get("summary") or {}).get("files", len(files)))
    files += [FileResult(f"<file {n}>") for n in range(max(total - len(files), 0))]
    return CheckReport(files)
