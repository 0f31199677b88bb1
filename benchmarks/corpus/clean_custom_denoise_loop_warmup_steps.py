"""Clean: hand-written denoising loop whose num_warmup_steps is scheduler bookkeeping; real warm-up too."""
import statistics

import torch
from diffusers import AutoencoderKL, DPMSolverMultistepScheduler, UNet2DConditionModel
from transformers import CLIPTextModel, CLIPTokenizer

REPO = "runwayml/stable-diffusion-v1-5"
device, dtype = "cuda", torch.float16
tokenizer = CLIPTokenizer.from_pretrained(REPO, subfolder="tokenizer")
text_encoder = CLIPTextModel.from_pretrained(REPO, subfolder="text_encoder", torch_dtype=dtype).to(device)
unet = UNet2DConditionModel.from_pretrained(REPO, subfolder="unet", torch_dtype=dtype).to(device)
vae = AutoencoderKL.from_pretrained(REPO, subfolder="vae", torch_dtype=dtype).to(device)
scheduler = DPMSolverMultistepScheduler.from_pretrained(REPO, subfolder="scheduler")


@torch.inference_mode()
def denoise(prompt_embeds, num_inference_steps=20, guidance_scale=7.5):
    scheduler.set_timesteps(num_inference_steps, device=device)
    timesteps = scheduler.timesteps
    # same bookkeeping as diffusers pipelines use for their progress bar
    num_warmup_steps = len(timesteps) - num_inference_steps * scheduler.order
    batch = prompt_embeds.shape[0] // 2
    latents = torch.randn(batch, 4, 64, 64, device=device, dtype=dtype) * scheduler.init_noise_sigma
    progress = 0
    for i, t in enumerate(timesteps):
        model_in = scheduler.scale_model_input(torch.cat([latents] * 2), t)
        noise = unet(model_in, t, encoder_hidden_states=prompt_embeds).sample
        uncond, cond = noise.chunk(2)
        noise = uncond + guidance_scale * (cond - uncond)
        latents = scheduler.step(noise, t, latents).prev_sample
        if i == len(timesteps) - 1 or ((i + 1) > num_warmup_steps and (i + 1) % scheduler.order == 0):
            progress += 1
    image = vae.decode(latents / vae.config.scaling_factor).sample
    return (image / 2 + 0.5).clamp(0, 1).cpu()


prompts = ["a lighthouse in a storm", "a koi pond in autumn", "a robot reading a book", "a desert fox"]
tokens = tokenizer(
    [""] * len(prompts) + prompts,
    padding="max_length",
    max_length=tokenizer.model_max_length,
    truncation=True,
    return_tensors="pt",
)
with torch.inference_mode():
    embeds = text_encoder(tokens.input_ids.to(device))[0]

for _ in range(3):
    denoise(embeds)
torch.cuda.synchronize()

latencies = []
for _ in range(10):
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    denoise(embeds)
    end.record()
    torch.cuda.synchronize()
    latencies.append(start.elapsed_time(end))

med = statistics.median(latencies)
print(f"{med:.0f} ms per batch of {len(prompts)}, {med / len(prompts):.0f} ms per image")
