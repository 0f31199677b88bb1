"""BA203: the timed region runs the profiler and also exports its Chrome trace before the clock stops."""
import time

import torch
from torch.profiler import ProfilerActivity, profile
from transformers import AutoModelForCausalLM

model = AutoModelForCausalLM.from_pretrained("gpt2-large", torch_dtype=torch.float16).to("cuda").eval()
input_ids = torch.randint(0, 50257, (8, 512), device="cuda")
ITERS = 10

with torch.inference_mode():
    for _ in range(5):
        model(input_ids=input_ids)
    torch.cuda.synchronize()

    t0 = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA], record_shapes=True) as prof:
        for _ in range(ITERS):
            model(input_ids=input_ids)
        torch.cuda.synchronize()
    prof.export_chrome_trace("gpt2_large_forward.json")  # expect: BA203
    elapsed = time.perf_counter() - t0

print(f"{elapsed / ITERS * 1e3:.1f} ms per forward (8 x 512 tokens)")
print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=10))
