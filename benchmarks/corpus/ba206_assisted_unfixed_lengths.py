"""BA206: greedy vs assisted generation compared with max_new_tokens only on both timed calls."""
import statistics
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

TARGET = "meta-llama/Llama-2-13b-chat-hf"
DRAFT = "TinyLlama/TinyLlama-1.1B-Chat-v1.0"

tokenizer = AutoTokenizer.from_pretrained(TARGET)
target = AutoModelForCausalLM.from_pretrained(TARGET, torch_dtype=torch.float16, device_map="cuda")
draft = AutoModelForCausalLM.from_pretrained(DRAFT, torch_dtype=torch.float16, device_map="cuda")
inputs = tokenizer("[INST] Explain speculative decoding in two paragraphs. [/INST]", return_tensors="pt")
inputs = inputs.to("cuda")

for _ in range(3):
    target.generate(**inputs, max_new_tokens=200, do_sample=False)
    target.generate(**inputs, assistant_model=draft, max_new_tokens=200, do_sample=False)

baseline, assisted = [], []
for _ in range(5):
    t0 = time.perf_counter()
    target.generate(**inputs, max_new_tokens=200, do_sample=False)  # expect: BA206
    baseline.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    target.generate(**inputs, assistant_model=draft, max_new_tokens=200, do_sample=False)  # expect: BA206
    assisted.append(time.perf_counter() - t0)

b, a = statistics.median(baseline), statistics.median(assisted)
print(f"baseline {b:.2f}s, assisted {a:.2f}s -> speedup {b / a:.2f}x")
