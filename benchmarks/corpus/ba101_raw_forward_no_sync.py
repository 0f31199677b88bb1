"""BA101: a loop of raw BERT forwards is timed and the clock is read with kernels still queued."""
import argparse
import time

import torch
from transformers import AutoModelForSequenceClassification


def parse_args():
    parser = argparse.ArgumentParser(description="BERT classification throughput")
    parser.add_argument("--model", default="textattack/bert-base-uncased-SST-2")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--iters", type=int, default=100)
    return parser.parse_args()


def main():
    args = parse_args()
    model = AutoModelForSequenceClassification.from_pretrained(args.model).half().cuda().eval()
    input_ids = torch.randint(1000, 30000, (args.batch_size, args.seq_len), device="cuda")
    attention_mask = torch.ones_like(input_ids)

    with torch.no_grad():
        for _ in range(10):
            model(input_ids=input_ids, attention_mask=attention_mask)
        torch.cuda.synchronize()

        t0 = time.perf_counter()
        for _ in range(args.iters):
            logits = model(input_ids=input_ids, attention_mask=attention_mask).logits
        elapsed = time.perf_counter() - t0  # expect: BA101

    n = args.iters * args.batch_size
    print(f"{n / elapsed:.0f} sequences/s ({elapsed / args.iters * 1e3:.2f} ms/batch)")
    print(f"last logits shape: {tuple(logits.shape)}")


if __name__ == "__main__":
    main()
