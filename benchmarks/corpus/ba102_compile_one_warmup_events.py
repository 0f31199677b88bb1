"""BA102: a reduce-overhead torch.compile'd Llama prefill is warmed up once before CUDA-event timing."""
import torch
from transformers import AutoModelForCausalLM

model = AutoModelForCausalLM.from_pretrained(
    "meta-llama/Meta-Llama-3-8B", torch_dtype=torch.bfloat16
).to("cuda").eval()
model.forward = torch.compile(model.forward, mode="reduce-overhead", fullgraph=True)

input_ids = torch.randint(0, 128000, (1, 2048), device="cuda")
ITERS = 10


@torch.inference_mode()
def prefill_latency_ms():
    model(input_ids=input_ids, use_cache=False)  # compile + one run
    torch.cuda.synchronize()

    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()  # expect: BA102
    for _ in range(ITERS):
        model(input_ids=input_ids, use_cache=False)
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / ITERS


ms = prefill_latency_ms()
print(f"prefill 2048 tokens: {ms:.1f} ms, {2048 / ms * 1e3:.0f} tokens/s")
