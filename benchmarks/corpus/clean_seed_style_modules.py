"""Clean: importlib model modules, each run with its own inference() or declared steps, rounds alternated."""
import argparse
import importlib.util
import os
import statistics
import sys
import time

import torch


def load_module(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def make_runner(module, pipe):
    if hasattr(module, "inference"):
        return lambda batch: module.inference(pipe, batch)
    steps = getattr(module, "NUM_INFERENCE_STEPS", 50)
    return lambda batch: pipe(batch, num_inference_steps=steps, output_type="np")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--speedup", required=True)
    parser.add_argument("--prompts", default="prompts.txt")
    parser.add_argument("--batch-size", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with open(args.prompts, encoding="utf-8") as f:
        prompts = [line.strip() for line in f if line.strip()]
    bs = args.batch_size
    runners = {}
    for role, path in (("base", args.base), ("speedup", args.speedup)):
        module = load_module(path)
        pipe = module.load_model().to("cuda")
        runners[role] = make_runner(module, pipe)
        for _ in range(3):
            runners[role](prompts[:bs])
    torch.cuda.synchronize()

    totals = {role: [] for role in runners}
    for _ in range(args.rounds):
        for role, run in runners.items():
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for i in range(0, len(prompts), bs):
                run(prompts[i:i + bs])
            torch.cuda.synchronize()
            totals[role].append(time.perf_counter() - t0)

    base_t, fast_t = statistics.median(totals["base"]), statistics.median(totals["speedup"])
    print(f"base {base_t:.1f}s, speedup model {fast_t:.1f}s over the same {len(prompts)} prompts")
    print(f"speedup: {base_t / fast_t:.2f}x")


if __name__ == "__main__":
    main()
