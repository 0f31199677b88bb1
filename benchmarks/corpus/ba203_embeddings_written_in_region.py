"""BA203: np.save and torch.save of each batch's embeddings are inside the timed encode loop."""
import argparse
import time

import numpy as np
import torch
from sentence_transformers import SentenceTransformer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default="passages.txt")
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()

    with open(args.corpus, encoding="utf-8") as f:
        passages = [line.rstrip("\n") for line in f]
    model = SentenceTransformer("BAAI/bge-base-en-v1.5", device="cuda")
    model.half()
    bs = args.batch_size

    for _ in range(3):
        model.encode(passages[:bs], batch_size=bs, convert_to_numpy=True)
    torch.cuda.synchronize()

    t0 = time.perf_counter()
    for i in range(0, len(passages), bs):
        emb = model.encode(passages[i:i + bs], batch_size=bs, convert_to_numpy=True)
        np.save(f"emb/shard_{i // bs:05d}.npy", emb)  # expect: BA203
        torch.save({"offset": i, "count": len(emb)}, f"emb/shard_{i // bs:05d}.meta.pt")  # expect: BA203
    torch.cuda.synchronize()
    elapsed = time.perf_counter() - t0

    print(f"{len(passages)} passages in {elapsed:.1f}s -> {len(passages) / elapsed:.0f} passages/s")


if __name__ == "__main__":
    main()
