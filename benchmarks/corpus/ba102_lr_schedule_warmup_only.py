"""BA102: the only 'warmup' is an LR schedule's num_warmup_steps; eval throughput is timed cold."""
import time

import torch
from torch.utils.data import DataLoader, TensorDataset
from transformers import AutoModelForSequenceClassification, get_linear_schedule_with_warmup

MODEL = "roberta-large"
model = AutoModelForSequenceClassification.from_pretrained(MODEL, num_labels=3).to("cuda")
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5, weight_decay=0.01)
scheduler = get_linear_schedule_with_warmup(optimizer, num_warmup_steps=500, num_training_steps=20000)

eval_ids = torch.randint(5, 50000, (2048, 256))
eval_mask = torch.ones_like(eval_ids)
eval_labels = torch.randint(0, 3, (2048,))
loader = DataLoader(TensorDataset(eval_ids, eval_mask, eval_labels), batch_size=64)


@torch.no_grad()
def evaluate():
    model.eval()
    correct = 0
    t0 = time.perf_counter()  # expect: BA102
    for ids, mask, labels in loader:
        logits = model(input_ids=ids.to("cuda"), attention_mask=mask.to("cuda")).logits
        correct += (logits.argmax(-1).cpu() == labels).sum().item()
    elapsed = time.perf_counter() - t0
    return correct / len(loader.dataset), elapsed


acc, elapsed = evaluate()
print(f"accuracy {acc:.3f}, eval {len(loader.dataset) / elapsed:.0f} samples/s")
print(f"lr after setup: {scheduler.get_last_lr()[0]:.2e}")
