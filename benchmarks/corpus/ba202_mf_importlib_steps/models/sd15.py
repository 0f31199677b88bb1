"""Model module: plain Stable Diffusion 1.5; the runner decides the step count."""
import torch
from diffusers import DPMSolverMultistepScheduler, StableDiffusionPipeline

REPO = "runwayml/stable-diffusion-v1-5"
DESCRIPTION = "SD 1.5, DPM++ 2M"


def load_model():
    pipe = StableDiffusionPipeline.from_pretrained(REPO, torch_dtype=torch.float16, safety_checker=None)
    pipe.scheduler = DPMSolverMultistepScheduler.from_config(pipe.scheduler.config)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def describe():
    return {
        "repo": REPO,
        "description": DESCRIPTION,
        "scheduler": "DPMSolverMultistepScheduler",
        "dtype": "float16",
    }
