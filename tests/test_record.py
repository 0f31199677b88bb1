"""`auditor.record`: the data classes of the start-up path behave as the dataclasses they
replace (construction, defaults, equality, hashing, immutability, pickling, `replace`)."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from auditor import record
from auditor.core import CheckReport, FileError, FileResult
from auditor.options import CheckOptions
from auditor.project import ProjectCache


@record.record(frozen=True)
class Point:
    x: int
    y: int = 0
    tags: dict[str, int] = record.field(default_factory=dict, compare=False)


@record.record
class Box:
    items: list[int] = record.field(default_factory=list)


def test_construction_defaults_and_factories() -> None:
    p = Point(1)
    assert (p.x, p.y, p.tags) == (1, 0, {})
    assert Point(1, 2).y == 2 and Point(x=3, y=4).x == 3
    assert Point(1).tags is not Point(1).tags  # a fresh default per instance
    assert Box().items == [] and Box().items is not Box().items
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, 2, {}, 4)  # type: ignore[call-arg]


def test_equality_hash_and_compare_false() -> None:
    assert Point(1, 2) == Point(1, 2, {"a": 1})  # `tags` is not compared
    assert Point(1, 2) != Point(2, 1)
    assert hash(Point(1, 2)) == hash(Point(1, 2, {"b": 2}))
    assert len({Point(1), Point(1), Point(2)}) == 2
    assert Point(1) != (1, 0)
    with pytest.raises(TypeError):
        hash(Box())  # mutable records are unhashable, as dataclasses with eq


def test_frozen_and_slots() -> None:
    p = Point(1)
    with pytest.raises(record.FrozenInstanceError):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del p.y  # type: ignore[misc]
    with pytest.raises(AttributeError):
        p.other = 1  # type: ignore[attr-defined]
    b = Box()
    b.items = [1]
    assert b.items == [1]
    assert not hasattr(b, "__dict__")


def test_replace_and_repr() -> None:
    p = Point(1, 2)
    q = record.replace(p, y=5)
    assert (q.x, q.y) == (1, 5) and p.y == 2
    with pytest.raises(TypeError):
        record.replace(p, z=1)
    assert repr(p) == "Point(x=1, y=2, tags={})"


def test_pickle_round_trip() -> None:
    result = FileResult("a.py", (), FileError("a.py", "parse-error", "bad", 3, 4))
    assert pickle.loads(pickle.dumps(result)) == result
    report = CheckReport([result])
    assert pickle.loads(pickle.dumps(report)).files == [result]
    opts = CheckOptions(("BA101",))
    assert pickle.loads(pickle.dumps(opts)).codes == ("BA101",)
    assert isinstance(opts.project_cache, ProjectCache)


def test_a_plain_check_imports_no_dataclasses(tmp_path: Path) -> None:
    """The start-up path (a file the screen drops) builds no dataclass: importing
    `dataclasses` and `inspect` alone costs more than the rest of such a run."""
    (tmp_path / ".git").mkdir()
    plain = tmp_path / "shapes.py"
    plain.write_text("def area(w, h):\n    return w * h\n\n\nprint(area(2, 3))\n")
    code = (
        "import runpy, sys\n"
        "sys.argv = ['benchaudit', 'check', '--isolated', '--no-cache', sys.argv[1]]\n"
        "try:\n"
        "    runpy.run_module('auditor', run_name='__main__')\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "print(sorted(m for m in ('dataclasses', 'inspect', 'auditor.findings') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(plain)], capture_output=True, text=True, check=True
    )
    assert out.stdout.splitlines()[-1] == "[]", out.stdout
