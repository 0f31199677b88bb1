"""BA303: dynamic-cache decoding is timed in full before the static-cache compiled arm, never alternated."""
import statistics
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

MODEL = "google/gemma-2-2b-it"
NEW = 128
tokenizer = AutoTokenizer.from_pretrained(MODEL)
model = AutoModelForCausalLM.from_pretrained(MODEL, torch_dtype=torch.bfloat16).to("cuda").eval()
inputs = tokenizer("The three laws of thermodynamics are", return_tensors="pt").to("cuda")
kw = dict(max_new_tokens=NEW, min_new_tokens=NEW, do_sample=False)

for _ in range(3):
    model.generate(**inputs, **kw)
dynamic = []
for _ in range(10):
    t0 = time.perf_counter()
    model.generate(**inputs, **kw)
    dynamic.append(time.perf_counter() - t0)

model.generation_config.cache_implementation = "static"
model.forward = torch.compile(model.forward, mode="reduce-overhead", fullgraph=True)
for _ in range(4):
    model.generate(**inputs, **kw)
static = []
for _ in range(10):
    t0 = time.perf_counter()  # expect: BA303
    model.generate(**inputs, **kw)
    static.append(time.perf_counter() - t0)

d, s = statistics.median(dynamic), statistics.median(static)
print(f"dynamic cache {NEW / d:.1f} tok/s, static+compile {NEW / s:.1f} tok/s, speedup {d / s:.2f}x")
