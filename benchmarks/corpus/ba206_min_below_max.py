"""BA206: min_new_tokens is set, but below max_new_tokens, so output lengths still vary per run."""
import statistics

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


class DecodeBench:
    def __init__(self, model_id="mistralai/Mistral-7B-Instruct-v0.2", batch=8):
        self.tok = AutoTokenizer.from_pretrained(model_id)
        self.tok.pad_token = self.tok.eos_token
        self.tok.padding_side = "left"
        self.model = AutoModelForCausalLM.from_pretrained(model_id, torch_dtype=torch.float16).to("cuda")
        prompts = [f"[INST] Give me fact number {i} about octopuses. [/INST]" for i in range(batch)]
        self.inputs = self.tok(prompts, return_tensors="pt", padding=True).to("cuda")

    def _gen(self):
        return self.model.generate(**self.inputs, min_new_tokens=32, max_new_tokens=256, do_sample=False)  # expect: BA206

    def run(self, reps=5):
        for _ in range(3):
            self._gen()
        results = []
        for _ in range(reps):
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            out = self._gen()
            end.record()
            torch.cuda.synchronize()
            new_tokens = (out.shape[1] - self.inputs["input_ids"].shape[1]) * out.shape[0]
            results.append(new_tokens / (start.elapsed_time(end) / 1e3))
        return results


if __name__ == "__main__":
    tps = DecodeBench().run()
    print(f"batched decode: {statistics.median(tps):.0f} tokens/s (min {min(tps):.0f})")
