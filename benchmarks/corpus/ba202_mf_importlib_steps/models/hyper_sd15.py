"""Model module: Hyper-SD 1.5 LoRA, which is distilled for, and declares, an 8-step schedule."""
import torch
from diffusers import DDIMScheduler, StableDiffusionPipeline
from huggingface_hub import hf_hub_download

REPO = "runwayml/stable-diffusion-v1-5"
LORA = hf_hub_download("ByteDance/Hyper-SD", "Hyper-SD15-8steps-lora.safetensors")
NUM_INFERENCE_STEPS = 8
DESCRIPTION = "Hyper-SD 1.5, 8-step LoRA"


def load_model():
    pipe = StableDiffusionPipeline.from_pretrained(REPO, torch_dtype=torch.float16, safety_checker=None)
    pipe.load_lora_weights(LORA)
    pipe.fuse_lora()
    pipe.scheduler = DDIMScheduler.from_config(pipe.scheduler.config, timestep_spacing="trailing")
    pipe.set_progress_bar_config(disable=True)
    return pipe


def describe():
    return {"repo": REPO, "lora": LORA, "steps": NUM_INFERENCE_STEPS, "description": DESCRIPTION}
