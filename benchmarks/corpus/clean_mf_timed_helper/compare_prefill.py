"""Clean: Mistral prefill, eager vs torch.compile, through bench_utils.timed with arms alternated."""
import statistics

import torch
from transformers import AutoModelForCausalLM

from bench_utils import timed

model = AutoModelForCausalLM.from_pretrained(
    "mistralai/Mistral-7B-v0.1", torch_dtype=torch.bfloat16
).to("cuda").eval()
compiled = torch.compile(model, dynamic=False)
input_ids = torch.randint(0, 32000, (4, 1024), device="cuda")

arms = {"eager": model, "compiled": compiled}
results = {name: [] for name in arms}
with torch.inference_mode():
    for rep in range(5):
        for name, fn in arms.items():
            results[name].append(timed(fn, input_ids=input_ids, use_cache=False))

for name, ts in results.items():
    print(f"{name:>9}: {statistics.median(ts) * 1e3:.1f} ms per prefill of 4x1024 tokens")
speedup = statistics.median(results["eager"]) / statistics.median(results["compiled"])
print(f"compile speedup: {speedup:.2f}x")
