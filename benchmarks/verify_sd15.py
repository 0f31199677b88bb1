"""Run `benchaudit verify` on the seed script with the SD-1.5-shaped fixtures and keep both reports.

    python benchmarks/verify_sd15.py OUTDIR --tag h100 --batch-size 3 [--models base,speedup,gt]
        [-- any other `benchaudit verify` options]

The seed-style LLM script with the ~0.86B Llama-shaped fixtures:

    python benchmarks/verify_sd15.py OUTDIR --tag h100 --fixtures llama1b --models base,small \
        --script fixtures/seed/llm_test.py --batch-size 8 \
        -- --prompts benchmarks/data/llm_prompts_256.txt --eos-token auto

Writes OUTDIR/<tag>_sd15_verify_bs<N>.json and the text rendering of the same payload as .txt.
Needs a CUDA device (the SD-1.5 shape is far too slow on a CPU); see benchmarks/results/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import typer

from auditor.verify import cli as verify_cli
from auditor.verify import report

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--tag", default="h100")
    parser.add_argument("--batch-size", type=int, default=3)
    parser.add_argument("--models", default="base,speedup,gt")
    parser.add_argument("--fixtures", default="sd15", help="sd15, or tiny for a CPU smoke run")
    parser.add_argument("--device", default="cuda")
    parser.add_argument(
        "--script", default="fixtures/seed/test.py", help="fixtures/seed/llm_test.py for LLMs"
    )
    args, rest = parser.parse_known_args()

    args.outdir.mkdir(parents=True, exist_ok=True)
    stem = f"{args.tag}_{args.fixtures}_verify_bs{args.batch_size}"
    json_path = args.outdir / f"{stem}.json"
    models = [
        a
        for n in args.models.split(",")
        for a in ("--model", f"{n}=fixtures/models/{args.fixtures}/{n}.py")
    ]
    argv = [
        "verify",
        args.script,
        *models,
        "--device",
        args.device,
        "--batch-size",
        str(args.batch_size),
        "--format",
        "json",
        "-o",
        str(json_path),
        "--progress",
        *[a for a in rest if a != "--"],
    ]
    app = typer.Typer()
    app.command("verify")(verify_cli.verify)

    @app.callback()
    def _root() -> None:
        pass

    t0 = time.perf_counter()
    try:
        code = app(argv, standalone_mode=False)
    except typer.Exit as exc:
        code = exc.exit_code
    wall = time.perf_counter() - t0
    payload = json.loads(json_path.read_text())
    text = report.render_text(payload, args.script)
    text += f"wall time of the verify run: {wall:.0f} s\n"
    (args.outdir / f"{stem}.txt").write_text(text)
    sys.stdout.write(text)
    return 0 if code in (0, 1) else code


if __name__ == "__main__":
    sys.exit(main())
