"""Throughput of `benchaudit check` against Fixit (the libcst lint framework) and ruff.

All three check the same corpus of real Python files: by default 1,000 sources of torch,
diffusers and transformers, taken evenly from the sorted file lists of the installed packages
and copied (folders kept, so sibling imports resolve as they did) into a temporary folder.

- benchaudit: every rule (`--select ALL`), all cores. Cold is a first run with an empty cache
  (so it includes writing the cache); warm is a re-run on the unchanged tree; `--no-cache` is
  also timed.
- Fixit: `fixit lint` with its default configuration (all built-in `fixit.rules`, all cores).
  Fixit has no cache, so each run is cold.
- ruff: `ruff check --no-cache`, default rules and `--select ALL`: the floor to aim at (Rust).

Each figure is the median of `--runs` runs (wall time, process start included; output to
/dev/null). Python bytecode caching is left on for every tool (the sandbox this was developed
in sets PYTHONDONTWRITEBYTECODE, which would make each run recompile benchaudit's own modules,
as no installed tool does).

    python benchmarks/speed_vs_fixit.py [--files 1000] [--runs 3] [--fixit PATH] [--ruff PATH]
        [--write benchmarks/results/speed.txt]

With `--list FILES.txt` (one path a line: the real corpus's `files.txt`, see
../shared/corpus/README.md) it times the named files instead, as the pre-commit hook passes
them: `benchaudit check --no-cache FILES...` (default rules) and `fixit lint FILES...`, in
alternating rounds, and prints their ratio (issue 14's target: benchaudit at most 0.2x Fixit).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PACKAGES = ("torch", "diffusers", "transformers")
ROOT = Path(__file__).resolve().parent.parent


def snapshot(dest: Path) -> Path:
    """A frozen copy of benchaudit's sources (rules and schemas inside the package, as in the
    wheel): edits to the working tree during a run must not change the tool's fingerprint,
    which would invalidate the result cache between the cold and the warm run."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "auditor", dest / "auditor", ignore=ignore)
    shutil.copytree(ROOT / "rules", dest / "auditor" / "rules", ignore=ignore)
    shutil.copytree(ROOT / "schemas", dest / "auditor" / "schemas", ignore=ignore)
    return dest


def build_corpus(dest: Path, n_files: int) -> int:
    """Copy `n_files` sources (under 200 kB each) spread evenly over the packages' file lists."""
    site = Path(sysconfig.get_paths()["purelib"])
    candidates: list[Path] = []
    for package in PACKAGES:
        root = site / package
        if root.is_dir():
            candidates += sorted(
                p for p in root.rglob("*.py") if p.stat().st_size < 200_000 and p.is_file()
            )
    if len(candidates) < n_files:
        raise SystemExit(f"only {len(candidates)} files found under {site} for {PACKAGES}")
    step = len(candidates) / n_files
    chosen = [candidates[int(i * step)] for i in range(n_files)]
    total = 0
    for src in chosen:
        target = dest / src.relative_to(site)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        total += src.stat().st_size
    return total


def timed(cmd: list[str], cwd: Path, env: dict[str, str], before: Callable[[], None]) -> float:
    before()
    t0 = time.perf_counter()
    res = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - t0
    if res.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({res.returncode}): {res.stderr[-2000:]!r}")
    return elapsed


def median_of(runs: int, *args: object) -> float:
    return statistics.median(timed(*args) for _ in range(runs))  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fixit", default=shutil.which("fixit") or "/work/fixit-venv/bin/fixit")
    parser.add_argument("--ruff", default=shutil.which("ruff") or "ruff")
    parser.add_argument("--write", type=Path, help="also write the figures to this file")
    parser.add_argument("--serial", action="store_true", help="also time `--jobs 1`")
    parser.add_argument("--list", type=Path, help="time the files this file names instead")
    args = parser.parse_args()
    if not Path(args.fixit).is_file():
        parser.exit(
            2, f"error: Fixit not found at {args.fixit} (install fixit==2.2.1, --fixit PATH)\n"
        )
    if args.list is not None:
        named_files(args)
        return
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["NO_COLOR"] = "1"
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        size = build_corpus(corpus, args.files)
        cache = Path(tmp) / "cache"
        env["BENCHAUDIT_CACHE_DIR"] = str(cache)
        env["PYTHONPATH"] = str(snapshot(Path(tmp) / "benchaudit"))
        benchaudit = [sys.executable, "-m", "auditor.cli"]

        def clear_cache() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        def keep() -> None:
            pass

        check = [*benchaudit, "check", ".", "--select", "ALL", "--isolated", "--exit-zero"]
        for path in corpus.rglob("*.py"):  # the OS file cache, warm for every tool alike
            path.read_bytes()
        cold = median_of(args.runs, check, corpus, env, clear_cache)
        warm = median_of(args.runs, check, corpus, env, keep)
        nocache = timed([*check, "--no-cache"], corpus, env, keep)
        serial = (
            timed([*check, "--no-cache", "--jobs", "1"], corpus, env, keep) if args.serial else None
        )
        fixit = median_of(args.runs, [args.fixit, "lint", "."], corpus, env, keep)
        ruff_default = median_of(
            args.runs, [args.ruff, "check", "--no-cache", "--exit-zero", "."], corpus, env, keep
        )
        ruff_all = median_of(
            args.runs,
            [args.ruff, "check", "--no-cache", "--exit-zero", "--select", "ALL", "."],
            corpus,
            env,
            keep,
        )

    n = args.files
    say(f"date: {datetime.date.today().isoformat()}")
    say(
        f"machine: {platform.machine()} {platform.processor() or ''}".rstrip()
        + f", {os.cpu_count()} cores, python {platform.python_version()}, {platform.system()}"
    )
    say(f"corpus: {n} files ({size / 1e6:.1f} MB) of {', '.join(PACKAGES)} sources")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    say(f"median of {args.runs} runs, wall time including process start; load average {load}")
    say("")
    rows = [
        ("benchaudit, cold (empty cache)", cold),
        ("benchaudit, warm (unchanged tree)", warm),
        ("benchaudit, --no-cache (1 run)", nocache),
        *([("benchaudit, --no-cache --jobs 1 (1 run)", serial)] if serial is not None else []),
        ("fixit lint (built-in rules)", fixit),
        ("ruff check (default rules)", ruff_default),
        ("ruff check --select ALL", ruff_all),
    ]
    for label, seconds in rows:
        say(f"{label:<36} {seconds:8.2f} s  {n / seconds:9.1f} files/s")
    say("")
    say(f"benchaudit cold / Fixit: {fixit / cold:.2f}x faster (target 1.5x)")
    say(f"benchaudit warm / cold: {100 * warm / cold:.1f}% of the first run's time (target < 10%)")
    say(f"ruff --select ALL / benchaudit cold: ruff is {cold / ruff_all:.1f}x faster")
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text("\n".join(lines) + "\n", encoding="utf-8")


def named_files(args: argparse.Namespace) -> None:
    """benchaudit and Fixit on the files `args.list` names, in alternating rounds."""
    files = [line.strip() for line in args.list.read_text().splitlines() if line.strip()]
    cwd = args.list.parent
    lines = sum(len((cwd / f).read_text(errors="replace").splitlines()) for f in files)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["NO_COLOR"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        env["PYTHONPATH"] = str(snapshot(Path(tmp) / "benchaudit"))
        benchaudit = [sys.executable, "-m", "auditor", "check", "--no-cache", "--exit-zero"]
        cmds = {"benchaudit": [*benchaudit, *files], "fixit": [args.fixit, "lint", *files]}
        times: dict[str, list[float]] = {name: [] for name in cmds}
        for _ in range(args.runs):
            for name, cmd in cmds.items():
                times[name].append(timed(cmd, cwd, env, lambda: None))
    ours, theirs = (statistics.median(times[n]) for n in ("benchaudit", "fixit"))
    out = [
        f"date: {datetime.date.today().isoformat()}",
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}; load average "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        f"{len(files)} files ({lines} lines) named in {args.list.name}, median of {args.runs} "
        "alternating rounds, wall time including process start",
        f"benchaudit check --no-cache (default rules)  {ours:7.2f} s",
        f"fixit lint (built-in rules)                  {theirs:7.2f} s",
        f"benchaudit / Fixit: {ours / theirs:.2f}x (issue 14's target: at most 0.2x)",
    ]
    print("\n".join(out))
    if args.write:
        with args.write.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
