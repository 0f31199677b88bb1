"""Wall time of `benchaudit check` on one 300-line script, interpreter start included.

Targets: under 0.5 s (issue 2) and under 0.3 s (issue 6) on the 2-core development machine.
Prints the median and spread of repeated runs of the installed `benchaudit` command.

    python benchmarks/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_script(lines: int = 300) -> str:
    """The seed's test.py and model_evaluator.py, repeated until the script has `lines` lines."""
    seed = ROOT / "fixtures" / "seed"
    parts = [(seed / "test.py").read_text(), (seed / "model_evaluator.py").read_text()]
    out: list[str] = []
    i = 0
    while len(out) < lines:
        out += parts[i % 2].splitlines()
        i += 1
    return "\n".join(out[:lines]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    exe = shutil.which("benchaudit") or str(Path(sys.executable).parent / "benchaudit")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "bench_300.py"
        script.write_text(make_script())
        n_lines = len(script.read_text().splitlines())
        cmd = [exe, "check", str(script), "--isolated"]
        subprocess.run(cmd, capture_output=True, check=False)  # warm the OS file cache
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            res = subprocess.run(cmd, capture_output=True, check=False)
            times.append(time.perf_counter() - t0)
            assert res.returncode in (0, 1), res.stderr
    times.sort()
    q1, q3 = times[len(times) // 4], times[(3 * len(times)) // 4]
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"benchaudit check on a {n_lines}-line script, {args.runs} runs (wall, process start included)")
    print(f"median {statistics.median(times):.3f} s  IQR [{q1:.3f}, {q3:.3f}] s  min {times[0]:.3f} s")
    print(f"target 0.5 s (issue 2): {'met' if statistics.median(times) < 0.5 else 'MISSED'}; "
          f"0.3 s (issue 6): {'met' if statistics.median(times) < 0.3 else 'MISSED'}")


if __name__ == "__main__":
    main()
