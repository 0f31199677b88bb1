"""BA205: gc.collect() and reset_peak_memory_stats() are called after the timer has started."""
import gc
import json
import statistics
import time

import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

MODEL = "google/flan-t5-xl"
tokenizer = AutoTokenizer.from_pretrained(MODEL)
model = AutoModelForSeq2SeqLM.from_pretrained(MODEL, torch_dtype=torch.bfloat16).to("cuda").eval()

docs = [f"summarize: {line}" for line in open("cnn_articles.txt", encoding="utf-8").read().splitlines()[:16]]
enc = tokenizer(docs, return_tensors="pt", padding=True, truncation=True, max_length=512).to("cuda")

with torch.inference_mode():
    for _ in range(3):
        model(**enc, decoder_input_ids=enc["input_ids"][:, :64])
    torch.cuda.synchronize()

    results = []
    for _ in range(10):
        t0 = time.perf_counter()
        gc.collect()  # expect: BA205
        torch.cuda.reset_peak_memory_stats()  # expect: BA205
        out = model(**enc, decoder_input_ids=enc["input_ids"][:, :64])
        torch.cuda.synchronize()
        dt = time.perf_counter() - t0
        results.append({"s": dt, "peak_gib": torch.cuda.max_memory_allocated() / 2**30})

summary = {"median_s": statistics.median(r["s"] for r in results), "peak_gib": max(r["peak_gib"] for r in results)}
with open("t5_forward.json", "w") as f:
    json.dump(summary, f)
print(summary, tuple(out.logits.shape))
