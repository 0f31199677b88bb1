"""BA301: mean seconds per greedy call divided by the total seconds of N assisted calls."""
import statistics
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

N_CALLS = 8
NEW = 96
tok = AutoTokenizer.from_pretrained("bigcode/starcoder2-15b")
model = AutoModelForCausalLM.from_pretrained("bigcode/starcoder2-15b", torch_dtype=torch.bfloat16).to("cuda")
draft = AutoModelForCausalLM.from_pretrained("bigcode/starcoder2-3b", torch_dtype=torch.bfloat16).to("cuda")
inputs = tok("def quicksort(arr):\n", return_tensors="pt").to("cuda")


def greedy():
    return model.generate(**inputs, max_new_tokens=NEW, min_new_tokens=NEW, do_sample=False)


def assisted():
    return model.generate(**inputs, assistant_model=draft, max_new_tokens=NEW, min_new_tokens=NEW, do_sample=False)


for _ in range(3):
    greedy()
    assisted()

per_call, totals = [], []
for _ in range(5):
    t0 = time.perf_counter()
    for _ in range(N_CALLS):
        greedy()
    per_call.append((time.perf_counter() - t0) / N_CALLS)

    t0 = time.perf_counter()
    for _ in range(N_CALLS):
        assisted()
    totals.append(time.perf_counter() - t0)

speedup = statistics.median(per_call) / statistics.median(totals)  # expect: BA301
print(f"greedy {statistics.median(per_call):.2f} s/call; assisted speedup {speedup:.2f}x")
