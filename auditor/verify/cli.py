"""`benchaudit verify`: price a benchmark script's static findings on the models it benchmarks.

This module is imported when the `benchaudit` CLI starts, so its top level imports only the
standard library and typer; torch is imported by the worker process, and here only lazily, to
check for a CUDA device.

Exit codes: 0 nothing to report, 1 findings present or a model could not be measured, 2 usage
error (one line on stderr).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

DEFAULT_PROMPTS = (
    "a photograph of an astronaut riding a horse",
    "a watercolor painting of a lighthouse at dawn",
    "a bowl of ramen on a wooden table, studio lighting",
    "a fox in a snowy forest, highly detailed",
    "an isometric city at night with neon signs",
    "a portrait of an old sailor, oil on canvas",
    "a red vintage car parked by the sea",
    "a mountain lake reflecting the autumn trees",
)
OUTPUT_TYPE = "pil"  # diffusers' default: what a script that passes none gets
CPU_BUDGET_S, CPU_MIN_SAMPLES = 0.3, 5
GPU_BUDGET_S, GPU_MIN_SAMPLES = 3.0, 10
#: With a precision target the budget is a cap: rounds stop as soon as every compared
#: interval is narrow enough, or when every arm has spent this much.
CPU_CAP_S, GPU_CAP_S = 8.0, 15.0
DEFAULT_PRECISION = 0.05
MAX_SAMPLES = 200


REPORT_FORMATS = ("text", "json", "sarif", "markdown", "github", "html")


class UsageError(Exception):
    pass


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def parse_models(specs: Sequence[str]) -> list[tuple[str, str]]:
    models: list[tuple[str, str]] = []
    for spec in specs:
        name, sep, path = spec.partition("=")
        name, path = name.strip(), path.strip()
        if not sep or not name or not path:
            raise UsageError(f"--model expects NAME=PATH, got {spec!r}")
        if any(name == n for n, _ in models):
            raise UsageError(f"--model {name} is given twice")
        if not Path(path).is_file():
            raise UsageError(f"model file not found: {path}")
        models.append((name, path))
    return models


def read_prompts(path: Path | None, batch_size: int) -> list[str]:
    if path is None:
        count = 2 * batch_size
        return [DEFAULT_PROMPTS[i % len(DEFAULT_PROMPTS)] for i in range(count)]
    if not path.is_file():
        raise UsageError(f"prompts file not found: {path}")
    prompts = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if not prompts:
        raise UsageError(f"no prompts in {path}")
    return prompts


def resolve_device(requested: str) -> str:
    if requested not in ("auto", "cuda", "cpu"):
        raise UsageError(f"--device must be cuda, cpu or auto, not {requested!r}")
    if importlib.util.find_spec("torch") is None:
        raise UsageError("the runtime verifier needs torch: pip install 'benchaudit[runtime]'")
    if requested == "cpu":
        return "cpu"
    import torch  # deferred: startup of the `benchaudit` CLI must stay fast

    available = bool(torch.cuda.is_available())
    if requested == "cuda" and not available:
        raise UsageError("--device cuda was asked but no CUDA device is available")
    return "cuda" if available else "cpu"


def compared_pairs(names: Sequence[str], baseline: str) -> list[list[str]]:
    """The speedups the precision target is about: each candidate over the baseline, and the
    baseline over itself (the A/A noise floor)."""
    from auditor.verify.probes import AA, CANONICAL

    return [[f"{baseline}:{CANONICAL}", f"{n}:{CANONICAL}"] for n in names if n != baseline] + [
        [f"{baseline}:{AA}", f"{baseline}:{CANONICAL}"]
    ]


def static_check(run: Any) -> tuple[Any, list[str]]:
    """The script's findings, with the rules and options its configuration enables (the same
    prepared run `benchaudit check` would make): a rule turned off is not priced."""
    return run.check(), []


@dataclass(slots=True)
class Progress:
    """What is being measured and how long is left, on stderr.

    On a TTY one line is rewritten in place; elsewhere (a CI log) a line is printed per model load,
    per phase, and at most every 5 seconds while measuring.
    """

    enabled: bool
    tty: bool
    last_key: str = ""
    last_print: float = 0.0

    def __call__(self, event: dict[str, Any]) -> None:
        if not self.enabled:
            return
        kind = event.get("ev")
        if kind == "load_start":
            self._show(f"load {event.get('model')}", f"loading {event.get('model')}")
        elif kind == "call":
            eta = event.get("eta_s")
            left = f", ~{eta:.0f} s left" if isinstance(eta, int | float) else ""
            phase = "warming up" if event.get("phase") == "warmup" else "measuring"
            self._show(
                str(event.get("phase")),
                f"{phase}: {event.get('arm')} call {event.get('index')}{left}",
            )

    def _show(self, key: str, line: str) -> None:
        now = time.monotonic()
        if self.tty:
            sys.stderr.write(f"\r\x1b[2K[verify] {line}")
            sys.stderr.flush()
        elif key != self.last_key or now - self.last_print >= 5.0:
            sys.stderr.write(f"[verify] {line}\n")
            self.last_print = now
        self.last_key = key

    def close(self) -> None:
        if self.enabled and self.tty and self.last_key:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()


def _environment(
    outcome_env: dict[str, Any] | None,
    device: str,
    loads: dict[str, dict[str, Any]],
    harness: dict[str, Any],
) -> dict[str, Any]:
    env: dict[str, Any] = dict(
        outcome_env or {"device": device, "device_name": None, "torch": None, "threads": None}
    )
    dtypes = sorted({str(v["dtype"]) for v in loads.values() if v.get("dtype")})
    env["dtype"] = ", ".join(dtypes) or None
    env["timer"] = "cuda-events" if env.get("device") == "cuda" else "host-clock"
    env.update(harness)
    return env


def _notes(env: dict[str, Any], plan: Any, findings: Sequence[Any]) -> list[str]:
    notes: list[str] = []
    if env.get("device") == "cpu":
        notes.append(
            f"no CUDA device: measured on the CPU with {env.get('threads')} torch thread(s) "
            f"(torch's default thread count can make a small pipeline tens of times slower on a "
            f"small shared machine); CPU timings illustrate the method, they do not predict GPU "
            f"speedups"
        )
    else:
        notes.append(
            "timed with CUDA events after a synchronisation; the host clock after a second "
            "synchronisation is kept as a cross-check (host_clock_median_s)"
        )
    notes.append(
        "all models run in one worker process with their arms interleaved call by call; the "
        "first model's cold call also pays process-wide initialisation"
    )
    script = plan.script
    parts = [
        "one call per prompt" if script.per_prompt else "one batched call per batch",
        f"{script.steps} steps on every model" if script.steps else "each model's steps",
        "host clock without synchronisation" if not script.synchronize else "synchronised timer",
        "canonical warm-up"
        if script.warmup_calls is None
        else f"{script.warmup_calls} warm-up call(s)",
    ]
    if script.eos:
        parts.append("language models: an end-of-sequence token may stop rows")
    if script.decode:
        parts.append("language models: the output decoded inside the timed call")
    notes.append("the script's method, as reproduced: " + ", ".join(parts))
    if not findings:
        notes.append("no static findings: the script's method is the canonical one")
    return notes


def verify(
    script: Annotated[Path, typer.Argument(help="The benchmark script to audit.")],
    script_args: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[-- SCRIPT_ARGS...]",
            help="With no model modules: the script's own arguments (after --); the script "
            "runs traced and what it timed is re-timed.",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="NAME=PATH of a model module (repeatable)."),
    ] = None,
    baseline_model: Annotated[
        str | None,
        typer.Option(
            "--baseline-model",
            metavar="NAME",
            help="The model the others are compared with (default: base; script mode: the "
            "first arm the script timed).",
        ),
    ] = None,
    old_baseline: Annotated[
        str | None, typer.Option("--baseline", hidden=True, help="Renamed --baseline-model.")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="The configuration to check the script with (default: the nearest "
            "pyproject.toml with [tool.benchaudit] above the script).",
        ),
    ] = None,
    isolated: Annotated[
        bool, typer.Option("--isolated", help="Ignore configuration files.")
    ] = False,
    prompts: Annotated[Path | None, typer.Option(help="A file of prompts, one per line.")] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Prompts per batched call (default 3; script mode: as many as the script "
            "timed per region).",
        ),
    ] = None,
    steps: Annotated[
        int | None,
        typer.Option(min=1, help="One step count for every model, overriding declared ones."),
    ] = None,
    device: Annotated[str, typer.Option(help="cuda, cpu or auto.")] = "auto",
    threads: Annotated[
        int | None, typer.Option(min=1, help="torch threads in the worker (CPU default 1).")
    ] = None,
    budget: Annotated[
        float | None,
        typer.Option(min=0.0, help="Seconds of timed calls per arm (CPU 0.3, GPU 3)."),
    ] = None,
    min_samples: Annotated[
        int | None, typer.Option(min=2, help="Minimum timed calls per arm (CPU 5, GPU 10).")
    ] = None,
    precision: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Sample rounds until every compared speedup's 95% interval is within "
            "+-this fraction (0.05: +-5%), the --budget (then a cap on the timed seconds per "
            "arm, on average: CPU 8 s, GPU 15 s) runs out, or 200 rounds; 0 turns the target "
            "off (run to --budget).",
        ),
    ] = DEFAULT_PRECISION,
    timeout: Annotated[
        float,
        typer.Option(min=1.0, help="Seconds a model may take to load or run one call."),
    ] = 300.0,
    format: Annotated[
        str,
        typer.Option(
            "--format", "-f", metavar="FORMAT", help="text, json, sarif, markdown, github or html."
        ),
    ] = "text",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write the report here (atomically)."),
    ] = None,
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Default: on a TTY.")
    ] = None,
    chart: Annotated[
        Path | None,
        typer.Option(
            "--chart", metavar="PATH.png", help="Also draw the speedup chart as a PNG (matplotlib)."
        ),
    ] = None,
    kind: Annotated[
        str,
        typer.Option(
            help="What the model modules return: auto (recognised), diffusers, inference (the "
            "module's inference()), generate (a transformers model or text-generation pipeline)."
        ),
    ] = "auto",
    max_new_tokens: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Language models: one generation length for every model, overriding the "
            "modules' `max_new_tokens` (default 128).",
        ),
    ] = None,
    max_calls: Annotated[
        int,
        typer.Option(
            min=1,
            help="Script mode: stop the traced script after this many model calls and use "
            "what it timed until then.",
        ),
    ] = 1000,
    max_trace_seconds: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            help="Script mode: stop the traced script at its first model call after this many "
            "seconds of its run and use what it timed until then.",
        ),
    ] = None,
    eos_token: Annotated[
        str,
        typer.Option(
            help="Language models, EOS probe: the end-of-sequence token rows may stop at: "
            "tokenizer (each model's own), auto (the token the baseline emits most often, "
            "planted for random-weight models) or a token id.",
        ),
    ] = "tokenizer",
) -> None:
    """Re-time the models a benchmark script compares and price each static finding."""
    from auditor.api import RunRequest, SetupError, prepare
    from auditor.verify import assess as assess_mod
    from auditor.verify import probes, report, runner

    baseline = baseline_model or "base"
    try:
        if old_baseline is not None:
            raise UsageError(
                "`verify --baseline NAME` was renamed: use --baseline-model NAME "
                "(`check --baseline` is a baseline file of findings)"
            )
        if format not in REPORT_FORMATS:
            raise UsageError(f"--format must be one of {', '.join(REPORT_FORMATS)}; got `{format}`")
        if not script.is_file():
            raise UsageError(f"script not found: {script}")
        models = parse_models(model or [])
        request = RunRequest(paths=(script,), models=dict(models), config=config, isolated=isolated)
        try:
            run = prepare(request)
        except SetupError as exc:
            raise UsageError(str(exc)) from None
        if not models:  # the configuration's [tool.benchaudit.models]
            models = list(run.models.items())
        script_mode = not models
        if script_args and not script_mode:
            raise UsageError(
                "the script's own arguments (after --) are for verifying the script itself; "
                "with model modules the script is not run: leave them out"
            )
        if not script_mode and baseline not in {n for n, _ in models}:
            raise UsageError(f"--baseline-model {baseline} is not one of the --model names")
        from auditor.verify.models import KINDS

        if kind not in KINDS:
            raise UsageError(f"--kind must be one of {', '.join(KINDS)}; got `{kind}`")
        if eos_token not in ("tokenizer", "auto") and not eos_token.isdigit():
            raise UsageError(
                f"--eos-token must be tokenizer, auto or a token id; got `{eos_token}`"
            )
        prompt_list = read_prompts(prompts, batch_size or 3) if prompts or not script_mode else None
        resolved = resolve_device(device)
    except UsageError as exc:
        raise _fail(str(exc)) from None

    check, notes = static_check(run)
    findings = check.findings
    cpu = resolved == "cpu"
    target = precision if precision > 0 else None
    if budget is None:
        if target is not None:
            budget = CPU_CAP_S if cpu else GPU_CAP_S
        else:
            budget = CPU_BUDGET_S if cpu else GPU_BUDGET_S
    harness: dict[str, Any] = {
        "output_type": OUTPUT_TYPE,
        "seed": 0,
        "precision": target,
        "budget_s": budget,
        "min_samples": min_samples or (CPU_MIN_SAMPLES if cpu else GPU_MIN_SAMPLES),
        "max_samples": MAX_SAMPLES,
        "timeout_s": timeout,
    }
    job: dict[str, Any] = {
        "device": resolved,
        "threads": threads,
        "kind": kind,
        "max_new_tokens": max_new_tokens,
        "eos_token": eos_token,
        **{
            k: harness[k]
            for k in ("output_type", "seed", "precision", "budget_s", "min_samples", "max_samples")
        },
    }
    show = Progress(
        enabled=progress if progress is not None else sys.stderr.isatty(),
        tty=sys.stderr.isatty(),
    )
    session = None
    if script_mode:
        from auditor.verify import script_mode as script_mod

        session = script_mod.ScriptSession(
            findings, baseline_model, prompt_list, batch_size, compared_pairs
        )
        job.update(
            models=[],
            arms=[],
            compared=[],
            trace={
                "script": str(script.resolve()),
                "argv": list(script_args or []),
                "max_calls": max_calls,
                "max_seconds": max_trace_seconds,
            },
        )
        try:
            outcome = runner.run_script(job, timeout, session.respond, show)
        finally:
            show.close()
        failure = session.failure(outcome.fatal)
        if failure is not None:
            typer.echo(f"error: {failure}", err=True)
            raise typer.Exit(1)
        assert session.plan is not None
        models, baseline, plan = session.models, session.baseline, session.plan
        prompt_list, batch, n_batches = session.prompt_list, session.batch, session.n_batches
        harness["output_type"] = session.output_type
    else:
        assert prompt_list is not None
        batch = batch_size or 3
        n_batches = -(-len(prompt_list) // batch)
        plan = probes.plan([n for n, _ in models], baseline, findings, n_batches)
        job.update(
            models=[{"name": n, "path": p} for n, p in models],
            prompts=prompt_list,
            batch_size=batch,
            steps_override=steps,
            baseline=baseline,
            arms=[a.to_dict() for a in plan.arms],
            compared=compared_pairs([n for n, _ in models], baseline),
        )
        try:
            outcome = runner.run_supervised(job, timeout, show)
        finally:
            show.close()
    harness = {"batch_size": batch, "prompts": len(prompt_list), **harness}
    if outcome.fatal:
        notes.append(f"the worker failed before measuring: {outcome.fatal}")

    assessment = assess_mod.assess(
        models, baseline, plan, outcome, n_batches, findings, len(prompt_list), target
    )
    if session is not None:
        assessment = script_mod.reprice(assessment, session)
    env = _environment(outcome.env, resolved, outcome.loads, harness)
    if outcome.device_state:
        env["device_state"] = outcome.device_state
    trace_section = None
    if session is not None:
        trace_section = script_mod.trace_section(
            session,
            str(script),
            script_args or [],
            [report.comparison_dict(c) for c in assessment.comparisons],
            env.get("device"),
        )
        notes = script_mod.notes(trace_section, session) + notes
    notes = (
        _notes(env, plan, findings)
        + notes
        + assess_mod.generation_notes(assessment, outcome)
        + assess_mod.machine_notes(assessment, outcome)
    )
    for finding, why in assessment.unpriced:
        notes.append(f"{finding.code} [{finding.name}] line {finding.line} not priced: {why}")
    payload = report.build_payload(
        findings, check.errors, len(check.files), env, assessment, notes, outcome.arms
    )
    if trace_section is not None:
        payload["trace"] = trace_section
    report.validate(payload)
    if format in ("text", "json"):
        text = (
            json.dumps(payload, indent=2) + "\n"
            if format == "json"
            else report.render_text(payload, str(script))
        )
    else:
        from auditor.review import render_payload  # the review formats, from the same payload

        text = render_payload(payload, format)
    if output is not None:
        from auditor.resources import write_atomic

        output.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(output, text)
    else:
        sys.stdout.write(text)
    if chart is not None:
        from auditor.reporters.chart import ChartError, write_speedup_png

        try:
            write_speedup_png(payload, chart)
        except (ChartError, OSError) as exc:
            raise _fail(str(exc)) from None
    failed = any(m.error for m in assessment.models)
    raise typer.Exit(1 if findings or failed or check.errors else 0)
