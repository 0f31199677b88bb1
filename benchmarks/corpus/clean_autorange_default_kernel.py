"""Clean: default blocked_autorange() is plenty for a sub-millisecond linear+GELU shape sweep."""
import torch
import torch.nn.functional as F
import torch.utils.benchmark as benchmark

HIDDEN = 4096
FFN = 11008


def linear_gelu(x, w):
    return F.gelu(F.linear(x, w), approximate="tanh")


def main():
    w = torch.randn(FFN, HIDDEN, device="cuda", dtype=torch.bfloat16)
    rows = []
    for m in (128, 512, 2048):
        x = torch.randn(m, HIDDEN, device="cuda", dtype=torch.bfloat16)
        for _ in range(10):
            linear_gelu(x, w)
        torch.cuda.synchronize()
        t = benchmark.Timer(
            stmt="linear_gelu(x, w)",
            globals={"linear_gelu": linear_gelu, "x": x, "w": w},
            label="linear+gelu",
            sub_label=f"m={m}",
        )
        meas = t.blocked_autorange()
        tflops = 2 * m * HIDDEN * FFN / meas.median / 1e12
        rows.append((m, meas.median * 1e6, meas.iqr * 1e6, tflops))

    print(f"{'m':>6} {'median us':>10} {'iqr us':>8} {'TFLOP/s':>8}")
    for m, med, iqr, tflops in rows:
        print(f"{m:>6} {med:>10.1f} {iqr:>8.1f} {tflops:>8.1f}")


if __name__ == "__main__":
    main()
