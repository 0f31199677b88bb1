"""Runner: loads model modules by path and forces --steps on all of them, ignoring their own steps."""
import argparse
import importlib.util
import statistics
import time
from pathlib import Path

import torch


def import_model(path):
    spec = importlib.util.spec_from_file_location(f"models.{Path(path).stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="models/sd15.py")
    parser.add_argument("--candidate", default="models/hyper_sd15.py")
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    prompts = ["a knight in ornate armour, dramatic lighting"] * 4
    pipes = {}
    for role, path in (("base", args.base), ("candidate", args.candidate)):
        pipes[role] = import_model(path).load_model().to("cuda")

    def generate(pipe):
        return pipe(prompts, num_inference_steps=args.steps, output_type="np").images  # expect: BA202

    for pipe in pipes.values():
        for _ in range(3):
            generate(pipe)

    samples = {role: [] for role in pipes}
    for _ in range(args.rounds):
        for role, pipe in pipes.items():
            t0 = time.perf_counter()
            generate(pipe)
            samples[role].append((time.perf_counter() - t0) / len(prompts))

    base_s, cand_s = statistics.median(samples["base"]), statistics.median(samples["candidate"])
    print(f"base {base_s:.3f} s/image, candidate {cand_s:.3f} s/image, speedup {base_s / cand_s:.2f}x")


if __name__ == "__main__":
    main()
