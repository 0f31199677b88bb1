"""BA103: ONNX Runtime CPU latency measured with time.time(), a wall clock that can jump."""
import numpy as np
import onnxruntime as ort
import time
from transformers import AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained("distilbert-base-uncased-finetuned-sst-2-english")
session = ort.InferenceSession("distilbert-sst2.onnx", providers=["CPUExecutionProvider"])

texts = [
    "the movie was a delight from start to finish",
    "i want those two hours of my life back",
    "competent but forgettable",
    "an astonishing, moving performance",
] * 8
enc = tokenizer(texts, padding="max_length", max_length=128, truncation=True, return_tensors="np")
feeds = {
    "input_ids": enc["input_ids"].astype(np.int64),
    "attention_mask": enc["attention_mask"].astype(np.int64),
}

for _ in range(10):
    session.run(None, feeds)

timings = []
for _ in range(200):
    start = time.time()
    logits = session.run(None, feeds)[0]
    timings.append(time.time() - start)  # expect: BA103

timings = np.array(timings) * 1e3
print(f"batch {len(texts)}: mean {timings.mean():.2f} ms, p50 {np.percentile(timings, 50):.2f} ms, "
      f"p99 {np.percentile(timings, 99):.2f} ms")
print(f"per sentence: {np.percentile(timings, 50) / len(texts):.3f} ms; predictions {logits.argmax(-1)[:4]}")
