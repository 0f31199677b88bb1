"""Clean: CUDA-graph replay of a decoder layer, side-stream warm-up before capture, synced events."""
import statistics

import torch
from transformers import AutoConfig
from transformers.models.llama.modeling_llama import LlamaDecoderLayer, LlamaRotaryEmbedding

config = AutoConfig.from_pretrained("meta-llama/Llama-2-7b-hf")
layer = LlamaDecoderLayer(config, layer_idx=0).to("cuda", torch.float16).eval()
rope = LlamaRotaryEmbedding(config=config).to("cuda")
hidden = torch.randn(8, 1, config.hidden_size, device="cuda", dtype=torch.float16)
position_ids = torch.zeros(8, 1, dtype=torch.long, device="cuda")
pos_emb = rope(hidden, position_ids)

# warm-up on a side stream before capture, as the CUDA graphs docs prescribe
s = torch.cuda.Stream()
s.wait_stream(torch.cuda.current_stream())
with torch.no_grad(), torch.cuda.stream(s):
    for _ in range(3):
        layer(hidden, position_embeddings=pos_emb)
torch.cuda.current_stream().wait_stream(s)

graph = torch.cuda.CUDAGraph()
with torch.no_grad(), torch.cuda.graph(graph):
    static_out = layer(hidden, position_embeddings=pos_emb)

for _ in range(10):
    graph.replay()
torch.cuda.synchronize()

samples = []
for _ in range(200):
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    graph.replay()
    end.record()
    end.synchronize()
    samples.append(start.elapsed_time(end) * 1e3)

print(f"decoder layer decode step (graph replay): median {statistics.median(samples):.1f} us")
print(f"p99 {sorted(samples)[197]:.1f} us, output {tuple(static_out.shape)}")
