# NF4 dequantization variants for one qwen2-7b layer's seven projections on a GPU (FP16 out), timed with CUDA events:
# A the [256, 2] pair rows (nf4_lookup.pt), B each byte's pair as one complex32 word (nf4_words.pt), C two bytes per
# index into a [65536, 2] complex32 table (needs a dtype view, Python only), each checked bit for bit against A.
#   python3 trainer/tools/gpu/dequant_variants.py
import torch, time, sys
torch.manual_seed(0)
dev = "cuda"
N = 3584 * (3584 * 2 + 512 * 2 + 18944 * 3)
NB = N // 64
codes = torch.randint(0, 256, (N // 2,), dtype=torch.uint8, device=dev)
scales = torch.rand(NB, 1, device=dev).half()
nf4 = torch.randn(16, device=dev).half()
lut2 = torch.stack([nf4.repeat_interleave(16), nf4.repeat(16)], 1).contiguous()  # [256,2]: high nibble first
def timeit(name, f, reps=20):
    for _ in range(3): f()
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(True), torch.cuda.Event(True)
    s.record()
    for _ in range(reps): r = f()
    e.record(); torch.cuda.synchronize()
    print(f"{name}: {s.elapsed_time(e)/reps:.3f} ms", flush=True)
    return r
A = lambda: (lut2.index_select(0, codes.to(torch.int32)).view(NB, 64) * scales)
lutc = torch.view_as_complex(lut2)
B = lambda: (torch.view_as_real(lutc.index_select(0, codes.to(torch.int32))).view(NB, 64) * scales)
a = timeit("A pair rows (current)", A)
b = timeit("B complex32 words", B)
print("B == A bitwise:", torch.equal(a.view(torch.int16), b.view(torch.int16)))
# C: two bytes per index (int16 view), [65536, 2] complex32 rows
j = torch.arange(65536, device=dev)
u = j ^ 0x8000
t4 = torch.stack([lut2[u & 255], lut2[u >> 8]], 1).contiguous()  # [65536, 2, 2] fp16 (little endian: low byte first)
t4c = torch.view_as_complex(t4)  # [65536, 2] complex32
c16 = codes.view(torch.int16)
C = lambda: (torch.view_as_real(t4c.index_select(0, c16.to(torch.int32) + 32768)).view(NB, 64) * scales)
c = timeit("C two bytes per index (int16 view)", C)
print("C == A bitwise:", torch.equal(a.view(torch.int16), c.view(torch.int16)))
timeit("  codes.to(int32) alone", lambda: codes.to(torch.int32))
timeit("  mul by scales alone", lambda: b.view(NB, 64) * scales)
timeit("  index_select complex32 alone", lambda: lutc.index_select(0, codes.to(torch.int32)))
# TorchScript: does B script and run the same (view_as_complex / view_as_real)?
class DequantWords(torch.nn.Module):
    def forward(self, lut: torch.Tensor, codes: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
        words = torch.view_as_complex(lut).index_select(0, codes.to(torch.int32))
        return torch.view_as_real(words).view(scales.size(0), -1) * scales
m = torch.jit.script(DequantWords())
m.save("/tmp/dw.pt"); m = torch.jit.load("/tmp/dw.pt")
bs = timeit("B as TorchScript", lambda: m(lut2, codes, scales))
print("B TorchScript == A bitwise:", torch.equal(a.view(torch.int16), bs.view(torch.int16)))
print(m.code)
