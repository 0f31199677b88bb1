"""BA202: --steps is forced onto pipelines from importlib-loaded modules that set their own steps."""
import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import torch


def load_module(path):
    spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="+", help="model modules exposing load_model()")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    prompts = Path("prompts.txt").read_text(encoding="utf-8").splitlines()[: args.batch_size]
    pipes = {Path(p).stem: load_module(p).load_model().to("cuda") for p in args.models}

    def generate(pipe):
        return pipe(prompts, num_inference_steps=args.steps, output_type="np")  # expect: BA202

    for pipe in pipes.values():
        for _ in range(3):
            generate(pipe)

    per_image = {name: [] for name in pipes}
    for _ in range(args.rounds):
        for name, pipe in pipes.items():
            t0 = time.perf_counter()
            generate(pipe)
            per_image[name].append((time.perf_counter() - t0) / len(prompts))

    ref = Path(args.models[0]).stem
    for name, ts in per_image.items():
        ratio = statistics.median(per_image[ref]) / statistics.median(ts)
        print(f"{name:>16}: {statistics.median(ts):.3f} s/image, {ratio:.2f}x vs {ref}")


if __name__ == "__main__":
    main()
