"""BA201: a benchmark class walks its prompt list with a while loop, one Kandinsky call each."""
import time

import torch
from diffusers import AutoPipelineForText2Image


class KandinskyThroughput:
    def __init__(self, prompts, steps=25):
        self.prompts = list(prompts)
        self.steps = steps
        self.pipe = AutoPipelineForText2Image.from_pretrained(
            "kandinsky-community/kandinsky-2-2-decoder", torch_dtype=torch.float16
        ).to("cuda")
        self.pipe.set_progress_bar_config(disable=True)

    def run(self):
        for _ in range(3):
            self.pipe(prompt=self.prompts[0], num_inference_steps=self.steps, output_type="np")
        done = 0
        idx = 0
        t0 = time.perf_counter()
        while idx < len(self.prompts):
            self.pipe(prompt=self.prompts[idx], num_inference_steps=self.steps, output_type="np")  # expect: BA201
            done += 1
            idx += 1
        return done, time.perf_counter() - t0


if __name__ == "__main__":
    bench = KandinskyThroughput(
        ["a red bicycle against a blue wall", "a tea ceremony in kyoto", "a stormy sea, turner style"] * 8
    )
    n, seconds = bench.run()
    print(f"{n} images, {seconds / n:.2f} s/image, {n / seconds:.2f} images/s")
