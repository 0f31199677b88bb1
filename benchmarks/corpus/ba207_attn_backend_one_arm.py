"""BA207: the pruned candidate gets flash_attention_2 while the baseline uses eager attention."""
import statistics
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

NEW = 128
tokenizer = AutoTokenizer.from_pretrained("meta-llama/Llama-2-7b-hf")
tokenizer.pad_token = tokenizer.eos_token
tokenizer.padding_side = "left"

baseline = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-2-7b-hf", torch_dtype=torch.float16, attn_implementation="eager").to("cuda")
pruned = AutoModelForCausalLM.from_pretrained("princeton-nlp/Sheared-LLaMA-2.7B", torch_dtype=torch.float16, attn_implementation="flash_attention_2").to("cuda")  # expect: BA207

batch = tokenizer(["Once upon a time"] * 16, return_tensors="pt", padding=True).to("cuda")
models = {"baseline": baseline, "pruned": pruned}
for m in models.values():
    for _ in range(3):
        m.generate(**batch, max_new_tokens=NEW, min_new_tokens=NEW, do_sample=False)

tps = {name: [] for name in models}
for _ in range(5):
    for name, m in models.items():
        t0 = time.perf_counter()
        m.generate(**batch, max_new_tokens=NEW, min_new_tokens=NEW, do_sample=False)
        tps[name].append(16 * NEW / (time.perf_counter() - t0))

gain = statistics.median(tps["pruned"]) / statistics.median(tps["baseline"])
print(f"baseline {statistics.median(tps['baseline']):.0f} tok/s, pruned {statistics.median(tps['pruned']):.0f} tok/s")
print(f"throughput gain: {gain:.2f}x")
