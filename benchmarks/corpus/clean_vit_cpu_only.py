"""Clean: CPU-only ViT benchmark class; no device work, so perf_counter without a sync is fine."""
import statistics
import time

import torch
from transformers import AutoImageProcessor, ViTForImageClassification


class CpuBenchmark:
    def __init__(self, model_id="google/vit-base-patch16-224", batch_size=16, threads=8):
        torch.set_num_threads(threads)
        self.processor = AutoImageProcessor.from_pretrained(model_id)
        self.model = ViTForImageClassification.from_pretrained(model_id).eval()
        self.batch_size = batch_size
        self.pixel_values = torch.randn(batch_size, 3, 224, 224)

    @torch.inference_mode()
    def run(self, warmup=5, iters=30):
        for _ in range(warmup):
            self.model(pixel_values=self.pixel_values)
        samples = []
        for _ in range(iters):
            t0 = time.perf_counter()
            logits = self.model(pixel_values=self.pixel_values).logits
            samples.append(time.perf_counter() - t0)
        assert logits.shape[0] == self.batch_size
        return samples

    def report(self, samples):
        med = statistics.median(samples)
        print(f"median {med * 1e3:.1f} ms/batch, {med / self.batch_size * 1e3:.2f} ms/image")
        print(f"throughput {self.batch_size / med:.1f} images/s, stdev {statistics.stdev(samples) * 1e3:.2f} ms")


if __name__ == "__main__":
    bench = CpuBenchmark()
    bench.report(bench.run())
