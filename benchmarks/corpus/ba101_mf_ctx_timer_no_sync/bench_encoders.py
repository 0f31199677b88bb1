"""Bench script: raw encoder forwards timed with timing_utils.timer, whose exit never synchronizes."""
import argparse

import torch
from transformers import AutoModel

from timing_utils import report, timer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="bert-base-uncased")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seq-len", type=int, default=256)
    args = parser.parse_args()

    input_ids = torch.randint(1000, 20000, (args.batch_size, args.seq_len), device="cuda")
    mask = torch.ones_like(input_ids)
    model = AutoModel.from_pretrained(args.model, torch_dtype=torch.float16).to("cuda").eval()
    with torch.inference_mode():
        for _ in range(10):
            model(input_ids=input_ids, attention_mask=mask)
        torch.cuda.synchronize()
        for _ in range(30):
            with timer(f"{args.model} fwd"):
                model(input_ids=input_ids, attention_mask=mask)
    report()


if __name__ == "__main__":
    main()
