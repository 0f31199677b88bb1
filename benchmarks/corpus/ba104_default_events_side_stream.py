"""BA104: events recorded on the default stream bracket a BERT forward issued on a side stream."""
import statistics

import torch
from transformers import AutoModel

model = AutoModel.from_pretrained("bert-large-uncased", torch_dtype=torch.float16).cuda().eval()
input_ids = torch.randint(0, 30522, (32, 384), device="cuda")
side = torch.cuda.Stream()
side.wait_stream(torch.cuda.current_stream())

with torch.inference_mode():
    with torch.cuda.stream(side):
        for _ in range(5):
            model(input_ids=input_ids)
    torch.cuda.synchronize()

    times = []
    for _ in range(20):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        with torch.cuda.stream(side):
            hidden = model(input_ids=input_ids).last_hidden_state
        end.record()  # expect: BA104
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))

print(f"bert-large forward: {statistics.median(times):.2f} ms (batch 32 x 384)")
print(f"hidden {tuple(hidden.shape)}")
