"""Clean: triton.testing.do_bench on a fused softmax kernel vs torch.softmax, providers alternated."""
import statistics

import torch
import triton
import triton.language as tl


@triton.jit
def softmax_kernel(out_ptr, in_ptr, in_stride, out_stride, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK_SIZE)
    mask = offs < n_cols
    x = tl.load(in_ptr + row * in_stride + offs, mask=mask, other=-float("inf"))
    x = x - tl.max(x, axis=0)
    num = tl.exp(x)
    y = num / tl.sum(num, axis=0)
    tl.store(out_ptr + row * out_stride + offs, y, mask=mask)


def triton_softmax(x):
    n_rows, n_cols = x.shape
    y = torch.empty_like(x)
    block = triton.next_power_of_2(n_cols)
    softmax_kernel[(n_rows,)](y, x, x.stride(0), y.stride(0), n_cols, BLOCK_SIZE=block)
    return y


x = torch.randn(8192, 2048, device="cuda", dtype=torch.float16)
torch.testing.assert_close(triton_softmax(x), torch.softmax(x, dim=-1), atol=1e-3, rtol=1e-3)

providers = {
    "torch": lambda: torch.softmax(x, dim=-1),
    "triton": lambda: triton_softmax(x),
}
samples = {name: [] for name in providers}
# do_bench's 25 ms warm-up and 100 ms budget are hundreds of launches of a ~50 us kernel
for rep in range(5):
    for name, fn in providers.items():
        samples[name].append(triton.testing.do_bench(fn))

bytes_moved = 2 * x.numel() * x.element_size()
for name, ms in samples.items():
    med = statistics.median(ms)
    print(f"{name:>7}: {med * 1e3:.1f} us, {bytes_moved / (med * 1e-3) / 1e9:.0f} GB/s")
speedup = statistics.median(samples["torch"]) / statistics.median(samples["triton"])
print(f"triton speedup over torch: {speedup:.2f}x")
