"""A PyTorch replica of the Java trainer's optimizer step, op for op, to project its GPU speed and memory.

DJL's published JNI does not load against the GPU machine's torch 2.11, so the trainer's own benchmark
(`jobs/finetune bench ... --device gpu0`) runs elsewhere. This script issues the same ATen ops in the same order
(DecoderLayer.forward / recomputeBackward, Nf4Weight.materialize, LoraLinear.delta, Ops, CausalLM's chunked
cross-entropy, AdamW) so its time and peak memory are a projection of one step of that benchmark, without DJL's
per-op JNI cost (microseconds). Random weights; NF4 codes two per byte (bitsandbytes' layout, looked up a byte
at a time in a [256, 2] table) with double-quantized absmax.

The defaults replay the trainer as it is; the flags replay alternatives (the session-1 trainer was
--attn eager --chunk-rows 1024 --embed cuda --lora-scale out --mlp-act ops --dequant take; session 2's
--dequant select32).
python trainer/tools/replica/step_replica.py [--steps 5] [--profile] [flags, see --help]
"""
import argparse
import time

import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--shape", default="qwen2-7b", choices=["qwen2-7b", "llama3-8b"])
p.add_argument("--layers", type=int, default=0, help="decoder layers (default: the shape's own)")
p.add_argument("--host-cost", action="store_true", help="heads of 4 dimensions (as bench --host-cost): the same ops "
               "with negligible arithmetic, so the step is the host's time to issue them")
p.add_argument("--batch", type=int, default=2)
p.add_argument("--seq", type=int, default=2048)
p.add_argument("--attn", default="sdpa")
p.add_argument("--chunk-rows", type=int, default=0, help="loss chunk rows (default: the trainer's clamp(2^26/V, 16, 1024))")
p.add_argument("--index", default="int64")
p.add_argument("--steps", type=int, default=3)
p.add_argument("--embed", default="cpu", help="where the (untied) embedding table lives: cuda or cpu")
p.add_argument("--fuse", action="store_true", help="one dequantize + GEMM for q/k/v and for gate/up")
p.add_argument("--profile", action="store_true", help="print the CUDA kernels that take the most time")
p.add_argument("--fresh-constants", action="store_true", help="a new 0-dim tensor per scalar use and zeros + copy_ "
               "for casts, as the trainer did before it kept its constants")
p.add_argument("--scalars", default="cuda", help="device of the 0-dim scalar tensors: cuda or cpu")
p.add_argument("--lora-scale", default="low", help="apply LoRA's scaling to the output (out) or to the rank-r middle (low)")
p.add_argument("--mlp-act", default="scripted", help="silu(gate)*up as ops (x*sigmoid(x)*up), silu (F.silu) or scripted")
p.add_argument("--dequant", default="module", help="NF4 lookup, one code per byte: take (int64 codes), select32 (index_select, "
               "int32 codes), gather2d (gather from a per-block scaled table, no separate multiply) or packed (two codes per "
               "byte as bitsandbytes stores them, looked up through two 256-entry nibble tables), pairs (the same bytes "
               "looked up once in a [256, 2] table of both nibbles' values) or module (pairs through the trainer's "
               "nf4_dequant.pt, as Nf4Weight calls it)")
p.add_argument("--dequant-chunks", type=int, default=1, help="dequantize each weight in this many pieces")
p.add_argument("--module", default="trainer/src/main/resources/dev/finetune/trainer/model/sdpa_attention.pt")
a = p.parse_args()

dev = "cuda"
SHAPES = {  # hidden, heads, kv heads, head dim, intermediate, vocabulary, layers, rope theta, q/k/v bias
    "qwen2-7b": (3584, 28, 4, 128, 18944, 152064, 28, 1e6, True),
    "llama3-8b": (4096, 32, 8, 128, 14336, 128256, 32, 5e5, False),
}
D, H, HKV, DH, F_, V, LAYERS, THETA, QKV_BIAS = SHAPES[a.shape]
if a.host_cost:
    DH, D = 4, H * 4
    F_ = 2 * D
R = 16
a.layers = a.layers or LAYERS
a.chunk_rows = a.chunk_rows or max(16, min(1024, 2 ** 26 // V))
G = H // HKV
B, T = a.batch, a.seq
f16, f32 = torch.float16, torch.float32
torch.manual_seed(0)
sdpa_module = torch.jit.load(a.module, map_location=dev) if a.attn == "sdpa" else None
NF4 = torch.tensor([-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
                    -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
                    0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
                    0.7229568362236023, 1.0], device=dev, dtype=f16)


NIB_HI = NF4.repeat_interleave(16)  # value of the high nibble of each byte value 0..255
NIB_LO = NF4.repeat(16)
NIB_PAIRS = torch.stack([NIB_HI, NIB_LO], -1)  # [256, 2]: both values of each byte, in element order
DEQUANT = torch.jit.load("trainer/src/main/resources/dev/finetune/trainer/model/nf4_dequant.pt", map_location=dev)


class Nf4:  # blocks of 64, absmax double-quantized in nested blocks of 256
    def __init__(self, out, inn):
        n = out * inn
        self.shape = (out, inn)
        packed = a.dequant in ("packed", "pairs", "module")
        self.codes = torch.randint(0, 256 if packed else 16, (n // 2 if packed else n,),
                                   device=dev, dtype=torch.uint8)
        nb = n // 64
        self.nb = nb
        self.qabs = torch.randint(0, 256, ((nb + 255) // 256 * 256,), device=dev, dtype=torch.uint8)
        self.nested = torch.rand((nb + 255) // 256, device=dev, dtype=f32) * 0.01
        self.map = torch.linspace(-1, 1, 256, device=dev, dtype=f32)
        self.offset = torch.tensor([0.05])  # host tensors, as Nf4Weight passes them
        self.dims = torch.tensor([nb, 64, out, inn])

    def materialize(self):
        if a.dequant == "module":
            return DEQUANT(NIB_PAIRS, self.codes, self.qabs, self.nested, self.map, self.offset, self.dims)
        absmax = (self.map.index_select(0, self.qabs.to(torch.int32)).reshape(self.nested.numel(), -1)
                  * self.nested.reshape(-1, 1) + 0.05).reshape(-1)[: self.nb].to(f16).reshape(-1, 1)
        pieces = []
        step = -(-self.nb // a.dequant_chunks)
        for s in range(0, self.nb, step):
            if a.dequant == "pairs":
                byte = self.codes[s * 32:(s + step) * 32].to(torch.int32)
                pieces.append(NIB_PAIRS.index_select(0, byte).reshape(-1, 64) * absmax[s:s + step])
                continue
            if a.dequant == "packed":
                byte = self.codes[s * 32:(s + step) * 32].to(torch.int32)
                pair = torch.stack([NIB_HI.index_select(0, byte), NIB_LO.index_select(0, byte)], -1)
                pieces.append(pair.reshape(-1, 64) * absmax[s:s + step])
                continue
            codes = self.codes[s * 64:(s + step) * 64]
            if a.dequant == "gather2d":
                table = absmax[s:s + step] * NF4.reshape(1, 16)  # [nb, 16]
                pieces.append(table.gather(1, codes.reshape(-1, 64).to(torch.int64)))
            elif a.dequant == "select32":
                pieces.append(NF4.index_select(0, codes.to(torch.int32)).reshape(-1, 64) * absmax[s:s + step])
            else:
                idx = codes.to(torch.int64 if a.index == "int64" else torch.int32)
                values = NF4[idx] if a.index == "int32" else NF4.take(idx)
                pieces.append(values.reshape(-1, 64) * absmax[s:s + step])
        w = pieces[0] if len(pieces) == 1 else torch.cat(pieces)
        return w.reshape(-1).reshape(self.shape)


def lora(inn, out):
    A = (torch.rand(R, inn, device=dev) * 2 - 1) / inn ** 0.5
    Bm = torch.zeros(out, R, device=dev)
    return A.requires_grad_(), Bm.requires_grad_()


class Layer:
    def __init__(self):
        q, kv = H * DH, HKV * DH
        if a.fuse:
            self.w = {"qkv": Nf4(q + 2 * kv, D), "o": Nf4(D, q), "gateup": Nf4(2 * F_, D), "down": Nf4(D, F_)}
        else:
            self.w = {"q": Nf4(q, D), "k": Nf4(kv, D), "v": Nf4(kv, D), "o": Nf4(D, q),
                      "gate": Nf4(F_, D), "up": Nf4(F_, D), "down": Nf4(D, F_)}
        self.bias = {"q": torch.zeros(q, device=dev, dtype=f16), "k": torch.zeros(kv, device=dev, dtype=f16),
                     "v": torch.zeros(kv, device=dev, dtype=f16)} if QKV_BIAS else {}
        self.norm1 = torch.ones(D, device=dev)
        self.norm2 = torch.ones(D, device=dev)
        dims = {"q": (D, q), "k": (D, kv), "v": (D, kv), "o": (q, D), "gate": (D, F_), "up": (D, F_), "down": (F_, D)}
        self.lora = {k: lora(*v) for k, v in dims.items()}


def cast16(x):  # Ops.cast: empty + copy_ (session 2: zeros + copy_, --fresh-constants)
    y = (torch.zeros if a.fresh_constants else torch.empty)(x.shape, dtype=f16, device=dev)
    y[...] = x
    return y


def rmsnorm(x, w):  # Ops.rmsNorm, FP32
    var = (x * x).mean(-1, keepdim=True)
    return x * (var + scalar(1e-6)).pow(scalar(-0.5)) * w


CONSTANTS = {}


def scalar(v):  # Ops keeps one PyTorch-owned 0-dim tensor per constant (session 2: a new one per use)
    if a.fresh_constants:
        return torch.full((), v, device=a.scalars)
    if v not in CONSTANTS:
        CONSTANTS[v] = torch.full((), v, device=a.scalars)
    return CONSTANTS[v]


def zero32():  # Ops.toFloat32's [1] FP32 zero
    if a.fresh_constants:
        return torch.zeros(1, device=dev)
    if "zero1" not in CONSTANTS:
        CONSTANTS["zero1"] = torch.zeros(1, device=dev)
    return CONSTANTS["zero1"]


def delta(x, layer, name):
    A, Bm = layer.lora[name]
    low = F.linear(x, cast16(A))
    if a.lora_scale == "low":
        return F.linear(low * scalar(2.0), cast16(Bm))
    return F.linear(low, cast16(Bm)) * scalar(2.0)


def project(x, layer, name):
    w = layer.w[name].materialize()
    y = F.linear(x, w, layer.bias.get(name))
    return y + delta(x, layer, name)


def project_fused(x, layer, fused, names, sizes):
    y = F.linear(x, layer.w[fused].materialize())
    outs, start = [], 0
    for n, size in zip(names, sizes):
        part = y[..., start:start + size]
        if n in layer.bias:
            part = part + layer.bias[n]
        outs.append(part + delta(x, layer, n))
        start += size
    return outs


def rope(x, cos, sin):
    half = x.shape[-1] // 2
    rot = torch.cat([-x[..., half:], x[..., :half]], -1)
    return x * cos + rot * sin


def attention(q, k, v, mask32, mask16):
    if sdpa_module is not None:
        return sdpa_module(q, k, v, mask16)
    q5 = q.reshape(B, HKV, G, T, DH)
    kT = k.reshape(B, HKV, 1, T, DH).transpose(-1, -2)
    s = (q5 @ kT) * scalar(DH ** -0.5)
    p_ = torch.softmax(s + zero32() + mask32, -1)
    return (cast16(p_) @ v.reshape(B, HKV, 1, T, DH)).reshape(B, H, T, DH)


@torch.jit.script
def silu_mul(gate, up):
    return F.silu(gate) * up


def layer_forward(layer, h, ctx):
    cos, sin, mask32, mask16 = ctx
    x = cast16(rmsnorm(h, layer.norm1))
    if a.fuse:
        q, k, v = project_fused(x, layer, "qkv", ["q", "k", "v"], [H * DH, HKV * DH, HKV * DH])
    else:
        q, k, v = project(x, layer, "q"), project(x, layer, "k"), project(x, layer, "v")
    q = q.reshape(B, T, H, DH).transpose(1, 2)
    k = k.reshape(B, T, HKV, DH).transpose(1, 2)
    v = v.reshape(B, T, HKV, DH).transpose(1, 2)
    q, k = rope(q, cos, sin), rope(k, cos, sin)
    attn = attention(q, k, v, mask32, mask16).transpose(1, 2).reshape(B, T, H * DH)
    h = h + project(attn, layer, "o")
    x = cast16(rmsnorm(h, layer.norm2))
    if a.fuse:
        gate, up = project_fused(x, layer, "gateup", ["gate", "up"], [F_, F_])
    else:
        gate, up = project(x, layer, "gate"), project(x, layer, "up")
    if a.mlp_act == "silu":
        act = F.silu(gate) * up
    elif a.mlp_act == "scripted":
        act = silu_mul(gate, up)
    else:
        act = gate * torch.sigmoid(gate) * up
    return h + project(act, layer, "down")


layers = [Layer() for _ in range(a.layers)]
embed = torch.randn(V, D, device=a.embed, dtype=f16) * 0.02
head = torch.randn(V, D, device=dev, dtype=f16) * 0.02
final_norm = torch.ones(D, device=dev)
params = [t for l in layers for ab in l.lora.values() for t in ab]
m_state = [torch.zeros_like(t) for t in params]
v_state = [torch.zeros_like(t) for t in params]
if a.dequant == "module":  # the trainer's module on this GPU gives the replica's pair lookup, bit for bit
    w = layers[0].w["q"] if "q" in layers[0].w else layers[0].w["qkv"]
    absmax = (w.map[w.qabs.long()].reshape(w.nested.numel(), -1) * w.nested.reshape(-1, 1) + 0.05).reshape(-1)[: w.nb]
    want = (NIB_PAIRS[w.codes.long()].reshape(-1, 64) * absmax.to(f16).reshape(-1, 1)).reshape(w.shape)
    assert torch.equal(w.materialize(), want), "nf4_dequant.pt differs from the pair lookup"
    print("nf4_dequant.pt on this GPU equals the pair lookup bit for bit")
print(f"weights resident: {torch.cuda.memory_allocated() / 2**30:.2f} GiB")


def step():
    ids = torch.randint(0, V, (B, T), device=dev)
    seg = torch.ones(B, T, device=dev, dtype=torch.int64)
    seg[:, T // 2:] = 2
    pos = torch.arange(T, device=dev)
    positions = (pos - torch.where(pos >= T // 2, T // 2, 0)).expand(B, T)
    inv = 1.0 / (THETA ** (torch.arange(0, DH, 2, device=dev, dtype=f32) / DH))
    freqs = positions.to(f32).reshape(B, 1, T, 1) * inv
    emb = torch.cat([freqs, freqs], -1)
    cos, sin = emb.cos().to(f16), emb.sin().to(f16)
    allowed = (seg[:, None, None, :, None] == seg[:, None, None, None, :]) & (pos[:, None] >= pos[None, :])
    mask32 = (~allowed).to(f32) * -1e9
    mask16 = mask32.reshape(B, 1, T, T).clamp(-65504, 0).to(f16)
    ctx = (cos, sin, mask32, mask16)
    mark("inputs")
    with torch.no_grad():
        h = embed[ids.to(a.embed)].to(dev).float()
        inputs = []
        for l in layers:
            inputs.append(h)
            h = layer_forward(l, h, ctx)
    mark("forward")
    h.requires_grad_(True)
    flat = h.reshape(-1, D)
    rows = torch.arange(1, B * T, device=dev)
    labels = ids.reshape(-1)[1:]
    for s in range(0, rows.numel(), a.chunk_rows):
        idx, lab = rows[s:s + a.chunk_rows], labels[s:s + a.chunk_rows].reshape(-1, 1)
        x = cast16(rmsnorm(flat[idx], final_norm))
        logits = F.linear(x, head) + zero32()
        nll = -logits.log_softmax(-1).gather(1, lab).sum()
        nll.backward(torch.full((), 1.0 / rows.numel(), device=dev))
    mark("loss")
    d = h.grad
    for i in reversed(range(len(layers))):
        x = inputs[i].clone().requires_grad_(True)
        out = layer_forward(layers[i], x, ctx)
        out.backward(d)
        d = x.grad
        inputs[i] = None
    mark("backward")
    with torch.no_grad():  # adamw_foreach.pt
        grads = [p_.grad for p_ in params]
        torch._foreach_mul_(params, 1.0 - 1e-4 * 0.01)
        torch._foreach_lerp_(m_state, grads, 0.1)
        torch._foreach_mul_(v_state, 0.999)
        torch._foreach_addcmul_(v_state, grads, grads, 0.001)
        denom = torch._foreach_sqrt(v_state)
        torch._foreach_div_(denom, 0.03)
        torch._foreach_add_(denom, 1e-8)
        torch._foreach_addcdiv_(params, m_state, denom, -1e-4)
        for p_ in params:
            p_.grad = None
    mark("optimizer")


PEAKS = {}


def mark(phase):
    PEAKS[phase] = max(PEAKS.get(phase, 0), torch.cuda.max_memory_allocated() / 2**30)
    torch.cuda.reset_peak_memory_stats()


step()
torch.cuda.synchronize()
PEAKS.clear()
torch.cuda.reset_peak_memory_stats()
t0 = time.perf_counter()
for _ in range(a.steps):
    step()
torch.cuda.synchronize()
dt = (time.perf_counter() - t0) / a.steps
tokens = B * T
if a.profile:
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA], record_shapes=True) as prof:
        step()
        torch.cuda.synchronize()
    # ATen ops (with input shapes) that launch the most GPU time; aten::linear etc. include their children
    rows = [e for e in prof.key_averages(group_by_input_shape=True) if e.key.startswith("aten::")]
    rows.sort(key=lambda e: -e.self_device_time_total)
    for e in rows[:25]:
        print(f"{e.self_device_time_total / 1000:8.1f} ms {e.count:6d}x  {e.key:28s} {str(e.input_shapes)[:90]}")
    # what the host issues per step: kernel launches, and the ATen ops called most often
    by_name = prof.key_averages()
    launches = sum(e.count for e in by_name if "LaunchKernel" in e.key)
    print(f"kernel launches per step: {launches}")
    ops = sorted((e for e in by_name if e.key.startswith("aten::")), key=lambda e: -e.count)
    for e in ops[:15]:
        print(f"{e.count:6d}x {e.key:32s} self CPU {e.self_cpu_time_total / 1000:8.1f} ms")
print(f"shape={a.shape}{' host-cost' if a.host_cost else ''} layers={a.layers} attn={a.attn} chunk_rows={a.chunk_rows} index={a.index} embed={a.embed} "
      f"dequant_chunks={a.dequant_chunks} fuse={a.fuse} scalars={a.scalars} lora_scale={a.lora_scale} mlp_act={a.mlp_act} dequant={a.dequant}: step {dt * 1000:.0f} ms, "
      f"{tokens / dt:.0f} tokens/s, peak {max(PEAKS.values()):.2f} GiB allocated, "
      f"{torch.cuda.max_memory_reserved() / 2**30:.2f} GiB reserved; peak by phase (GiB): "
      + ", ".join(f"{k} {v:.2f}" for k, v in PEAKS.items()))
