"""BA302: triton.testing.do_bench with its default 25 ms / 100 ms budgets around a whole pipeline."""
import torch
import triton
from diffusers import AutoPipelineForText2Image


def main():
    pipe = AutoPipelineForText2Image.from_pretrained(
        "stabilityai/stable-diffusion-2-1-base", torch_dtype=torch.float16
    ).to("cuda")
    pipe.set_progress_bar_config(disable=True)
    pipe.unet.to(memory_format=torch.channels_last)
    prompts = ["a photograph of a lighthouse during a storm"] * 8

    def fn():
        pipe(prompts, num_inference_steps=20, output_type="pt")

    for _ in range(3):
        fn()
    torch.cuda.synchronize()

    ms = triton.testing.do_bench(fn)  # expect: BA302
    print(f"SD 2.1 base, batch 8, 20 steps: {ms:.0f} ms ({ms / len(prompts):.0f} ms/image)")


if __name__ == "__main__":
    main()
