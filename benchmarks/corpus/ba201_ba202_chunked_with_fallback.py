"""BA201+BA202: chunked loop, but modules without inference() fall back to per-prompt --steps calls."""
import argparse
import importlib.util
import os
import time

import torch


def load_module(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(module, pipe, batch, steps):
    if hasattr(module, "inference"):
        return module.inference(pipe, batch)
    return [pipe(prompt, num_inference_steps=steps) for prompt in batch]  # expect: BA201, BA202


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True, help="path to a model module")
    parser.add_argument("--prompts", default="prompts.txt")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()

    with open(args.prompts, encoding="utf-8") as f:
        prompts = [p.strip() for p in f if p.strip()]
    module = load_module(args.model)
    pipe = module.load_model().to("cuda")
    bs = args.batch_size

    for _ in range(3):
        run(module, pipe, prompts[:bs], args.steps)
    torch.cuda.synchronize()

    t0 = time.perf_counter()
    for i in range(0, len(prompts), bs):
        run(module, pipe, prompts[i:i + bs], args.steps)
    torch.cuda.synchronize()
    elapsed = time.perf_counter() - t0
    print(f"{len(prompts)} prompts: {elapsed:.1f}s, {elapsed / len(prompts):.2f} s/prompt")


if __name__ == "__main__":
    main()
