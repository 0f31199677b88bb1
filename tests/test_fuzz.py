"""Fuzzing: generated programs and mutated fixtures never crash the checker.

Every input yields a `FileResult` (findings, or an error that says why the file was not
checked); nothing raises, and no rule fails on input it does not understand (an
`internal-error` is a bug: the rules must stay silent when they cannot decide).

Examples are derandomised so CI is reproducible; `BENCHAUDIT_FUZZ_EXAMPLES=2000` explores more,
with fresh randomness, when hunting locally.
"""

from __future__ import annotations

import io
import keyword
import os
import random
import tokenize
from pathlib import Path

import hypothesmith
import pytest
from fixture_expectations import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.checkfile import check_source
from auditor.core import FileResult
from auditor.options import CheckOptions
from auditor.parallel import check_one
from auditor.registry import select_codes

# hypothesmith compiles what it generates: its SyntaxWarnings are about the generated code
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")
EXAMPLES = int(os.environ.get("BENCHAUDIT_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=EXAMPLES or 40,
    deadline=None,
    derandomize=not EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
OPTS = CheckOptions(select_codes(select=["ALL"]))
SOURCES = sorted(FIXTURES.rglob("*.py"))
#: A script every rule has something to say about, so mutations hit the analyses, not only
#: the parser.
FLAWED = (FIXTURES / "seed" / "test.py").read_bytes()


def assert_reported(result: FileResult, path: str) -> None:
    assert isinstance(result, FileResult)
    assert result.path == path
    if result.error is not None:
        assert result.error.kind in ("parse-error", "read-error"), result.error
        assert not result.findings
    for finding in result.findings:
        assert finding.path == path
        assert finding.span.line >= 1 and finding.span.column >= 1


@FUZZ
@given(hypothesmith.from_grammar())
def test_generated_programs(source: str) -> None:
    assert_reported(check_source(source, "gen.py", OPTS), "gen.py")


@FUZZ
@given(hypothesmith.from_node())
def test_generated_syntax_trees(source: str) -> None:
    result = check_source(source, "gen.py", OPTS)
    assert_reported(result, "gen.py")


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One of: swap identifiers, numbers or strings for others of the file (keeps most programs
    valid, so the analyses run on odd data flow); flip bytes; drop, duplicate or swap lines;
    truncate; add a bracket, colon or quote; splice in lines of another fixture; prefix
    indentation, a NUL or a non-UTF-8 byte."""
    kind = rng.randrange(12)
    if kind >= 8:
        return _swap_tokens(data, rng)
    lines = data.splitlines(keepends=True) or [b""]
    if kind == 0:
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            if out:
                out[rng.randrange(len(out))] = rng.randrange(32, 127)
        return bytes(out)
    if kind == 1:
        del lines[rng.randrange(len(lines))]
    elif kind == 2:
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    elif kind == 3:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == 4:
        return data[: rng.randrange(len(data) + 1)]
    elif kind == 5:
        i = rng.randrange(len(lines))
        extra = rng.choice([b"(", b")", b"[", b":", b'"', b"'''"])
        lines[i] = lines[i].rstrip(b"\r\n") + extra + b"\n"
    elif kind == 6:
        other = rng.choice(SOURCES).read_bytes().splitlines(keepends=True)
        if other:
            start = rng.randrange(len(other))
            lines[rng.randrange(len(lines)) :] = other[start : start + rng.randint(1, 20)]
    else:
        i = rng.randrange(len(lines))
        lines[i] = rng.choice([b"\t", b"    ", b"\x00", b"\xff"]) + lines[i]
    return b"".join(lines)


def _swap_tokens(data: bytes, rng: random.Random) -> bytes:
    """Replace a few NAME, NUMBER or STRING tokens by others of the same kind from the file."""
    try:
        tokens = list(tokenize.tokenize(io.BytesIO(data).readline))
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        return data
    kind = rng.choice([tokenize.NAME, tokenize.NAME, tokenize.NUMBER, tokenize.STRING])
    pool = [t for t in tokens if t.type == kind and not keyword.iskeyword(t.string)]
    if len(pool) < 2:
        return data
    lines = data.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    for victim in sorted(
        rng.sample(pool, min(len(pool), rng.randint(1, 4))), key=lambda t: t.start, reverse=True
    ):
        (row, col), (end_row, end_col) = victim.start, victim.end
        if row != end_row:
            continue
        line = lines[row - 1]
        lines[row - 1] = line[:col] + rng.choice(pool).string.split("\n")[0] + line[end_col:]
    return "".join(lines).encode("utf-8", "surrogateescape")


@FUZZ
@given(st.randoms(use_true_random=False), st.sampled_from([None, *SOURCES]))
def test_mutated_fixtures(rng: random.Random, source: Path | None) -> None:
    data = FLAWED if source is None else source.read_bytes()
    for _ in range(rng.randint(1, 4)):
        data = mutate(data, rng)
    result = check_one(Path("mutant.py"), "mutant.py", OPTS, data=data)
    assert result.error is None or result.error.kind in ("parse-error", "read-error"), (
        result.error,
        data,
    )
    assert_reported(result, "mutant.py")


@pytest.mark.parametrize("source", SOURCES[:40], ids=lambda p: p.name)
def test_every_prefix_of_a_fixture_line_by_line(source: Path) -> None:
    """Truncated at every 7th line: half-written scripts, as an editor hook sees them."""
    data = source.read_bytes().splitlines(keepends=True)
    for end in range(0, len(data), 7):
        prefix = b"".join(data[:end])
        result = check_one(Path("prefix.py"), "prefix.py", OPTS, data=prefix)
        assert_reported(result, "prefix.py")
