"""BA203: batch_decode and a print of the generated text sit between the timer reads."""
import statistics
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

MODEL = "microsoft/Phi-3-mini-4k-instruct"
NEW = 200

tokenizer = AutoTokenizer.from_pretrained(MODEL)
tokenizer.padding_side = "left"
model = AutoModelForCausalLM.from_pretrained(MODEL, torch_dtype=torch.bfloat16).to("cuda").eval()

questions = [
    "Why is the sky blue?",
    "What causes the seasons on Earth?",
    "How does a transistor work?",
    "Why do cats purr?",
]
inputs = tokenizer(questions, return_tensors="pt", padding=True).to("cuda")

for _ in range(3):
    model.generate(**inputs, max_new_tokens=NEW, min_new_tokens=NEW, do_sample=False)

tps = []
for run in range(5):
    t0 = time.perf_counter()
    out = model.generate(**inputs, max_new_tokens=NEW, min_new_tokens=NEW, do_sample=False)
    answers = tokenizer.batch_decode(out, skip_special_tokens=True)  # expect: BA203
    print(f"[run {run}] {answers[0][-80:]!r}")  # expect: BA203
    dt = time.perf_counter() - t0
    tps.append(NEW * len(questions) / dt)

print(f"throughput: {statistics.median(tps):.1f} tok/s (batch {len(questions)}, {NEW} new tokens)")
