"""Clean: tokens/s from the tokens each run produced (out.shape less the prompt), so an early EOS cannot inflate it."""
import argparse
import statistics
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="google/gemma-2b-it")
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype=torch.bfloat16).to("cuda").eval()
    chat = [{"role": "user", "content": "Write a limerick about a slow benchmark."}]
    input_ids = tokenizer.apply_chat_template(chat, add_generation_prompt=True, return_tensors="pt").to("cuda")

    for _ in range(3):
        model.generate(input_ids, max_new_tokens=args.max_new_tokens, do_sample=False)

    rates = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        out = model.generate(input_ids, max_new_tokens=args.max_new_tokens, do_sample=False)
        dt = time.perf_counter() - t0
        rates.append((out.shape[1] - input_ids.shape[1]) / dt)

    print(f"{args.model}: {statistics.median(rates):.1f} tokens/s (median of {args.runs})")


if __name__ == "__main__":
    main()
