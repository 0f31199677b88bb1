"""Random-weight diffusers pipelines built from configs, for the verifier's fixtures and tests.

Nothing is downloaded: every component is constructed locally from a config, its weights drawn
from a seeded generator, so two builds with the same seed are the same model. The tokenizer uses a
tiny byte-level BPE vocabulary shipped in `fixtures/models/tiny_tokenizer/` (or written on the fly
to a temporary folder when that folder is not at hand, e.g. from an installed wheel).

Two shapes:

- `tiny_sd_pipeline`: a StableDiffusionPipeline a few hundred KB large, 16x16 images; loads in
  well under a second on a CPU core and runs a 20-step batch in a fraction of a second.
- `sd15_shaped_pipeline`: the SD-1.5 architecture (UNet 320/640/1280/1280, cross-attention 768,
  VAE 128/256/512/512, a 12-layer CLIP ViT-L/14 text encoder), 512x512, random weights, fp16 on
  CUDA. Its timings are those of SD-1.5; its images are noise.
"""

from __future__ import annotations

import json
import string
import tempfile
from pathlib import Path
from typing import Any

import torch
from diffusers import (
    AutoencoderKL,
    DDIMScheduler,
    DPMSolverMultistepScheduler,
    StableDiffusionPipeline,
    UNet2DConditionModel,
)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

_TOKENIZER_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "models" / "tiny_tokenizer"
_SCHEDULER_KW: dict[str, Any] = {
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "num_train_timesteps": 1000,
    "steps_offset": 1,
}


def _write_tiny_tokenizer(folder: Path) -> None:
    chars = [c for c in string.printable if c not in string.whitespace]
    vocab: dict[str, int] = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for suffix in ("", "</w>"):
        for c in chars:
            vocab.setdefault(c + suffix, len(vocab))
    merges = ["t h", "th e</w>", "a n", "an d</w>", "o f</w>", "i n", "o n</w>", "e r"]
    for merge in merges:
        vocab.setdefault(merge.replace(" ", ""), len(vocab))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    config = {
        "model_max_length": 77,
        "bos_token": "<|startoftext|>",
        "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>",
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config))


def tiny_tokenizer() -> Any:
    folder = _TOKENIZER_DIR
    if not (folder / "vocab.json").is_file():
        folder = Path(tempfile.mkdtemp(prefix="benchaudit-tok-"))
        _write_tiny_tokenizer(folder)
    return CLIPTokenizer.from_pretrained(str(folder))


def make_scheduler(kind: str = "ddim") -> Any:
    """`ddim` (the baseline's) or `dpm` (DPM-Solver++, the usual partner of a step cut)."""
    if kind == "dpm":
        return DPMSolverMultistepScheduler(**_SCHEDULER_KW)
    return DDIMScheduler(**_SCHEDULER_KW, clip_sample=False, set_alpha_to_one=False)


def _assemble(
    unet: Any, vae: Any, text_encoder: Any, scheduler: str, device: str, dtype: torch.dtype
) -> Any:
    pipe: Any = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tiny_tokenizer(),
        unet=unet,
        scheduler=make_scheduler(scheduler),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe = pipe.to(device) if dtype == torch.float32 else pipe.to(device=device, dtype=dtype)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def tiny_sd_pipeline(seed: int = 0, scheduler: str = "ddim", device: str = "cpu") -> Any:
    """A tiny StableDiffusionPipeline (16x16 images), float32, identical weights for one seed."""
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=8,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=32,
    )
    vae = AutoencoderKL(
        block_out_channels=(32, 64),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=32,
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
            hidden_size=32,
            intermediate_size=37,
            layer_norm_eps=1e-5,
            num_attention_heads=4,
            num_hidden_layers=2,
            vocab_size=256,
        )
    )
    return _assemble(unet, vae, text_encoder, scheduler, device, torch.float32)


def sd15_shaped_pipeline(seed: int = 0, scheduler: str = "ddim", device: str = "cuda") -> Any:
    """The SD-1.5 architecture with random weights: fp16 on CUDA, float32 elsewhere; 512x512."""
    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    torch.manual_seed(seed)
    # Build on the target device: initialising ~1.1B parameters on one CPU core takes minutes.
    with torch.device(device):
        unet = UNet2DConditionModel(
            sample_size=64,
            in_channels=4,
            out_channels=4,
            layers_per_block=2,
            block_out_channels=(320, 640, 1280, 1280),
            down_block_types=(
                "CrossAttnDownBlock2D",
                "CrossAttnDownBlock2D",
                "CrossAttnDownBlock2D",
                "DownBlock2D",
            ),
            up_block_types=(
                "UpBlock2D",
                "CrossAttnUpBlock2D",
                "CrossAttnUpBlock2D",
                "CrossAttnUpBlock2D",
            ),
            cross_attention_dim=768,
            attention_head_dim=8,
        )
        vae = AutoencoderKL(
            in_channels=3,
            out_channels=3,
            down_block_types=("DownEncoderBlock2D",) * 4,
            up_block_types=("UpDecoderBlock2D",) * 4,
            block_out_channels=(128, 256, 512, 512),
            layers_per_block=2,
            latent_channels=4,
            sample_size=512,
        )
        text_encoder = CLIPTextModel(
            CLIPTextConfig(
                vocab_size=49408,
                hidden_size=768,
                intermediate_size=3072,
                num_hidden_layers=12,
                num_attention_heads=12,
                max_position_embeddings=77,
                hidden_act="quick_gelu",
                bos_token_id=0,
                eos_token_id=1,
                pad_token_id=1,
            )
        )
    return _assemble(unet, vae, text_encoder, scheduler, device, dtype)


def raw_unet_inference(
    pipe: Any, prompts: list[str], num_inference_steps: int = 20, generator: Any = None
) -> Any:
    """A model module's own `inference()` that runs the denoiser directly: one text-encoder
    forward, then a plain loop of UNet forwards, returning the latents on the device with no
    host copy and no scheduler (whose bookkeeping can synchronise). Unlike a whole pipeline
    call, nothing here waits for the GPU, so a host clock read right after it is early."""
    device = pipe.unet.device
    with torch.no_grad():
        ids = pipe.tokenizer(
            list(prompts),
            padding="max_length",
            max_length=pipe.tokenizer.model_max_length,
            truncation=True,
            return_tensors="pt",
        ).input_ids.to(device)
        emb = pipe.text_encoder(ids)[0]
        cfg = pipe.unet.config
        shape = (len(prompts), cfg.in_channels, cfg.sample_size, cfg.sample_size)
        latents = torch.randn(shape, generator=generator, device=device, dtype=emb.dtype)
        for i in range(num_inference_steps):
            t = torch.full(
                (len(prompts),),
                999 - i * (1000 // num_inference_steps),
                device=device,
                dtype=torch.long,
            )
            noise = pipe.unet(latents, t, encoder_hidden_states=emb).sample
            latents = latents - noise / num_inference_steps
    return latents
