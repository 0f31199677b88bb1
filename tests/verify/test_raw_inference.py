"""The raw-denoiser model modules: their own `inference()` runs UNet forwards and returns
latents on the device, and the verifier loads and times them like any other module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner
from verify_helpers import ROOT, SEED, runtime

RAW = ROOT / "fixtures" / "models" / "tiny_raw"


@runtime
def test_raw_unet_inference_returns_device_latents() -> None:
    import torch

    from auditor.verify.synthetic import raw_unet_inference, tiny_sd_pipeline

    pipe = tiny_sd_pipeline(seed=0, device="cpu")
    gen = torch.Generator("cpu").manual_seed(0)
    latents = raw_unet_inference(pipe, ["a", "b"], num_inference_steps=3, generator=gen)
    cfg = pipe.unet.config
    assert tuple(latents.shape) == (2, cfg.in_channels, cfg.sample_size, cfg.sample_size)
    again = raw_unet_inference(pipe, ["a", "b"], 3, torch.Generator("cpu").manual_seed(0))
    assert torch.equal(latents, again)


@runtime
@pytest.mark.slow
def test_verify_times_models_through_their_inference_function(tmp_path: Path) -> None:
    import typer

    from auditor.verify.cli import verify

    app = typer.Typer()
    app.command()(verify)
    out = tmp_path / "raw.json"
    args = [
        str(SEED),
        "--model",
        f"base={RAW / 'base.py'}",
        "--model",
        f"speedup={RAW / 'speedup.py'}",
        "--device",
        "cpu",
        "--format",
        "json",
        "-o",
        str(out),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    payload = json.loads(out.read_text())
    models = {m["name"]: m for m in payload["models"]}
    assert models["base"]["error"] is None and models["speedup"]["error"] is None
    assert models["speedup"]["steps"] == 10
    fast = next(c for c in payload["comparisons"] if c["candidate"] == "speedup")
    # half the steps through the module's own inference(): the canonical harness sees it
    assert fast["canonical_speedup"] > 1.3
