"""Clean helper: a CPU ONNX Runtime latency harness with warm-up, percentiles and per-sample units."""
import statistics
import time

import numpy as np
import onnxruntime as ort


class OrtHarness:
    def __init__(self, model_path, threads=4):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.session = ort.InferenceSession(model_path, sess_options=opts, providers=["CPUExecutionProvider"])
        self.inputs = self.session.get_inputs()

    def feeds(self, batch):
        return {i.name: np.random.rand(batch, *i.shape[1:]).astype(np.float32) for i in self.inputs}

    def latency(self, batch, warmup=10, iters=50):
        feeds = self.feeds(batch)
        for _ in range(warmup):
            self.session.run(None, feeds)
        samples = []
        for _ in range(iters):
            t0 = time.perf_counter()
            self.session.run(None, feeds)
            samples.append(time.perf_counter() - t0)
        samples.sort()
        return {"p50": statistics.median(samples), "p95": samples[int(0.95 * len(samples)) - 1]}
