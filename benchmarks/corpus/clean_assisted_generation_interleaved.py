"""Clean: assisted generation vs plain greedy decoding, fixed lengths, arms alternated for 7 rounds."""
import statistics
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

TARGET = "facebook/opt-6.7b"
DRAFT = "facebook/opt-125m"
N = 128

tokenizer = AutoTokenizer.from_pretrained(TARGET)
model = AutoModelForCausalLM.from_pretrained(TARGET, torch_dtype=torch.float16).to("cuda").eval()
assistant = AutoModelForCausalLM.from_pretrained(DRAFT, torch_dtype=torch.float16).to("cuda").eval()
inputs = tokenizer("Alice and Bob are debugging a flaky benchmark. Alice says", return_tensors="pt")
inputs = inputs.to("cuda")
prompt_len = inputs["input_ids"].shape[1]


def greedy():
    return model.generate(**inputs, do_sample=False, max_new_tokens=N, min_new_tokens=N)


def assisted():
    return model.generate(
        **inputs, assistant_model=assistant, do_sample=False, max_new_tokens=N, min_new_tokens=N
    )


arms = {"greedy": greedy, "assisted": assisted}
for fn in arms.values():
    for _ in range(3):
        fn()
torch.cuda.synchronize()

times = {name: [] for name in arms}
for _ in range(7):
    for name, fn in arms.items():
        t0 = time.perf_counter()
        out = fn()
        times[name].append(time.perf_counter() - t0)
        assert out.shape[1] == prompt_len + N

for name, ts in times.items():
    med = statistics.median(ts)
    print(f"{name:>9}: {med:.3f}s median, {N / med:.1f} tok/s, spread {max(ts) - min(ts):.3f}s")
speedup = statistics.median(times["greedy"]) / statistics.median(times["assisted"])
print(f"assisted speedup: {speedup:.2f}x")
