"""BA301: seconds per generate() of the 7B model divided by the 2.7B model's tokens per second."""
import statistics
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

NEW_TOKENS = 256
BIG = "meta-llama/Llama-2-7b-hf"
SMALL = "princeton-nlp/Sheared-LLaMA-2.7B"

tokenizer = AutoTokenizer.from_pretrained(BIG)
big = AutoModelForCausalLM.from_pretrained(BIG, torch_dtype=torch.float16).to("cuda").eval()
small = AutoModelForCausalLM.from_pretrained(SMALL, torch_dtype=torch.float16).to("cuda").eval()
inputs = tokenizer("The history of the printing press begins", return_tensors="pt").to("cuda")
gen = dict(max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=False)

for _ in range(3):
    big.generate(**inputs, **gen)
    small.generate(**inputs, **gen)

big_latency, small_tps = [], []
for _ in range(5):
    t0 = time.perf_counter()
    big.generate(**inputs, **gen)
    big_latency.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    small.generate(**inputs, **gen)
    small_tps.append(NEW_TOKENS / (time.perf_counter() - t0))

latency = statistics.median(big_latency)
throughput = statistics.median(small_tps)
print(f"7B: {latency:.2f} s per request; 2.7B: {throughput:.1f} tok/s")
print(f"speedup: {latency / throughput:.2f}x")  # expect: BA301
