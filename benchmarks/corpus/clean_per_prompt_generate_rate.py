"""Clean: each prompt's generate() is timed on its own and reported as a per-prompt rate (a latency benchmark, not a batch one)."""
import json
import statistics
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

MODEL = "Qwen/Qwen2-7B-Instruct"
NEW = 128

tokenizer = AutoTokenizer.from_pretrained(MODEL)
model = AutoModelForCausalLM.from_pretrained(MODEL, torch_dtype=torch.bfloat16, device_map="cuda")

with open("mt_bench_questions.jsonl", encoding="utf-8") as f:
    prompts = [json.loads(line)["turns"][0] for line in f][:40]

warm = tokenizer(prompts[0], return_tensors="pt").to(model.device)
for _ in range(3):
    model.generate(**warm, max_new_tokens=NEW, min_new_tokens=NEW, do_sample=False)

rates = []
for prompt in prompts:
    inputs = tokenizer(prompt, return_tensors="pt").to(model.device)
    t0 = time.perf_counter()
    model.generate(**inputs, max_new_tokens=NEW, min_new_tokens=NEW, do_sample=False)
    rates.append(NEW / (time.perf_counter() - t0))

print(f"median {statistics.median(rates):.1f} tok/s over {len(prompts)} prompts")
print(f"p10 {sorted(rates)[len(rates) // 10]:.1f} tok/s")
