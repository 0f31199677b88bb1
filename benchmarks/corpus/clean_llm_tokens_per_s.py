"""Clean: Llama-2 batched decode throughput with min_new_tokens == max_new_tokens and repeated runs."""
import statistics
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

MODEL = "meta-llama/Llama-2-7b-hf"
NEW_TOKENS = 256
RUNS = 5

tokenizer = AutoTokenizer.from_pretrained(MODEL)
tokenizer.pad_token = tokenizer.eos_token
tokenizer.padding_side = "left"
model = AutoModelForCausalLM.from_pretrained(MODEL, torch_dtype=torch.float16, device_map="cuda")
model.eval()

prompts = [
    "Summarise the plot of Hamlet in three sentences.",
    "Write a haiku about GPU memory bandwidth.",
    "Explain what a KV cache is to a new engineer.",
    "List five uses of the Fourier transform.",
    "Translate 'the benchmark was flawed' into French.",
    "Describe the water cycle for a ten year old.",
    "What is the difference between latency and throughput?",
    "Give three tips for writing reproducible experiments.",
]
inputs = tokenizer(prompts, return_tensors="pt", padding=True).to("cuda")

for _ in range(3):
    model.generate(**inputs, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=False)
torch.cuda.synchronize()

rates = []
for _ in range(RUNS):
    t0 = time.perf_counter()
    out = model.generate(**inputs, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=False)
    dt = time.perf_counter() - t0
    new_tokens = (out.shape[1] - inputs["input_ids"].shape[1]) * out.shape[0]
    rates.append(new_tokens / dt)

print(f"decode throughput: median {statistics.median(rates):.1f} tok/s over {RUNS} runs")
print(f"min {min(rates):.1f} / max {max(rates):.1f} tok/s, batch {len(prompts)}")
