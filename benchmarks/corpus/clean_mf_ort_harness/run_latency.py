"""Clean: per-sample CPU latency of an exported YOLOv8 model through the OrtHarness helper."""
import argparse
import json

from harness import OrtHarness


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="yolov8n.onnx")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--out", default="latency.json")
    args = parser.parse_args()

    harness = OrtHarness(args.model, threads=args.threads)
    stats = harness.latency(args.batch_size)
    per_sample = {k: v / args.batch_size for k, v in stats.items()}
    print(f"batch {args.batch_size}: p50 {stats['p50'] * 1e3:.1f} ms, p95 {stats['p95'] * 1e3:.1f} ms")
    print(f"per image: p50 {per_sample['p50'] * 1e3:.2f} ms")

    with open(args.out, "w") as f:
        json.dump({"model": args.model, "batch": args.batch_size, **stats}, f, indent=2)


if __name__ == "__main__":
    main()
