"""Clean: ONNX Runtime CPU session.run latency; host-only inference needs no device synchronize."""
import argparse
import statistics
import time

import numpy as np
import onnxruntime as ort


def build_session(path, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="resnet50-v1-12.onnx")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--iters", type=int, default=100)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    sess = build_session(args.model, args.threads)
    input_name = sess.get_inputs()[0].name
    x = np.random.rand(args.batch_size, 3, 224, 224).astype(np.float32)
    feeds = {input_name: x}

    for _ in range(10):
        sess.run(None, feeds)

    latencies = []
    for _ in range(args.iters):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        latencies.append(time.perf_counter() - t0)

    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    print(f"p50 {p50 * 1e3:.2f} ms  p95 {p95 * 1e3:.2f} ms  (batch {args.batch_size})")
    print(f"{p50 / args.batch_size * 1e3:.2f} ms/sample, {args.batch_size / p50:.1f} samples/s")


if __name__ == "__main__":
    main()
