"""Clean: prompt-lookup decoding vs greedy with the shared fixed-length GEN_KWARGS, arms alternated."""
import statistics
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from config import GEN_KWARGS, MODEL_ID, NEW_TOKENS, PROMPT, ROUNDS, WARMUP

tokenizer = AutoTokenizer.from_pretrained(MODEL_ID)
model = AutoModelForCausalLM.from_pretrained(MODEL_ID, torch_dtype=torch.float16).to("cuda").eval()
inputs = tokenizer(PROMPT, return_tensors="pt").to("cuda")


def greedy():
    return model.generate(**inputs, **GEN_KWARGS)


def prompt_lookup():
    return model.generate(**inputs, prompt_lookup_num_tokens=10, **GEN_KWARGS)


arms = {"greedy": greedy, "prompt_lookup": prompt_lookup}
for fn in arms.values():
    for _ in range(WARMUP):
        fn()

rates = {name: [] for name in arms}
for _ in range(ROUNDS):
    for name, fn in arms.items():
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        rates[name].append(NEW_TOKENS / (time.perf_counter() - t0))

for name, r in rates.items():
    print(f"{name:>14}: {statistics.median(r):.1f} tok/s (min {min(r):.1f}, n={len(r)})")
print(f"speedup: {statistics.median(rates['prompt_lookup']) / statistics.median(rates['greedy']):.2f}x")
