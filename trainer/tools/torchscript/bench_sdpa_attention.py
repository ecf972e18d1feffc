"""Forward + backward time and extra peak memory of one Qwen2-7B-shaped attention (B=2, T=2048, 28/4 heads, FP16,
two packed documents): the eager formula of attn_implementation: eager against the sdpa_attention.pt module.
Run on a CUDA machine from the repository root: python trainer/tools/torchscript/bench_sdpa_attention.py
"""
import sys
import time

import torch
dev = "cuda"
m = torch.jit.load(sys.argv[1] if len(sys.argv) > 1 else "trainer/src/main/resources/dev/finetune/trainer/tensor/sdpa_attention.pt", map_location=dev)
B, H, HKV, T, D = 2, 28, 4, 2048, 128
G = H // HKV
def inputs():
    torch.manual_seed(0)
    q = torch.randn(B, H, T, D, device=dev, dtype=torch.float16, requires_grad=True)
    k = torch.randn(B, HKV, T, D, device=dev, dtype=torch.float16, requires_grad=True)
    v = torch.randn(B, HKV, T, D, device=dev, dtype=torch.float16, requires_grad=True)
    seg = torch.ones(B, T, device=dev, dtype=torch.long); seg[:, T//2:] = 2
    pos = torch.arange(T, device=dev)
    allowed = (seg[:, None, :, None] == seg[:, None, None, :]) & (pos[:, None] >= pos[None, :])
    mask32 = torch.where(allowed, 0.0, -1e9).float()
    return q, k, v, mask32
def eager(q, k, v, mask32):
    q5 = q.reshape(B, HKV, G, T, D)
    kT = k.reshape(B, HKV, 1, T, D).transpose(-1, -2)
    s = (q5 @ kT) * (1.0 / D ** 0.5)
    p = torch.softmax(s.float() + mask32[:, :, None], -1).half()
    return (p @ v.reshape(B, HKV, 1, T, D)).reshape(B, H, T, D)
def sdpa(q, k, v, mask32):
    return m(q, k, v, mask32.clamp(min=-65504.0).half())
for name, f in [("eager", eager), ("sdpa", sdpa)]:
    q, k, v, mask = inputs()
    g = torch.randn(B, H, T, D, device=dev, dtype=torch.float16)
    for _ in range(3):
        out = f(q, k, v, mask); out.backward(g)
    torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    t0 = time.perf_counter()
    for _ in range(20):
        out = f(q, k, v, mask); out.backward(g)
    torch.cuda.synchronize()
    ms = (time.perf_counter() - t0) / 20 * 1000
    peak = (torch.cuda.max_memory_allocated() - base) / 2**20
    print(f"{name}: fwd+bwd {ms:.2f} ms, peak extra {peak:.0f} MiB")
q, k, v, mask = inputs()
a = eager(q, k, v, mask); b = sdpa(q, k, v, mask)
print("max abs diff", (a.float() - b.float()).abs().max().item(), "max abs", a.abs().max().item())
