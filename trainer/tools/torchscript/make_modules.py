"""Writes the TorchScript modules the trainer calls for kernels DJL does not expose (docs/djl.md):
sdpa_attention.pt (torch's scaled_dot_product_attention: flash / memory-efficient / CPU kernels) and
silu_mul.pt (F.silu(gate) * up, the MLP activation, in one kernel fewer than x * sigmoid(x) * up) and
nf4_lookup.pt (NF4 code values by index_select with int32 indices: DJL's take needs int64 codes, 8 bytes of
transient per weight element instead of 4), nf4_dequant.pt (a whole double-quantized NF4 weight in one call:
about 15 DJL calls fewer per weight and use) and adamw_foreach.pt (torch's AdamW update for all LoRA tensors in one
call through the multi-tensor _foreach ops, instead of about 20 JNI calls and kernels per tensor); nf4_words.pt
(a layer group's NF4 values gathered one 4-byte word per packed byte, times the block scales), global_norm.pt,
foreach_mul.pt and foreach_zero.pt (gradient norm, scaling and zeroing through the multi-tensor ops),
backward_roots.pt (one backward traversal from several roots with their upstream gradients) sdpa_causal.pt
(attention for rows of one document each: is_causal without a mask, grouped heads in place, torch's flash kernel)
and sdpa_varlen.pt (packed rows on CUDA: the variable-length flash kernel over the documents' bounds).

Each archive holds its source as text and is compiled by whatever libtorch loads it (2.7.1 in DJL), so the
modules only use ops that exist there. Run: python make_modules.py OUT_DIR [FILE.pt ...] (all modules, or the
named ones; each is checked after it is written, and one that calls a function the running torch lacks is
skipped with a line saying so), then copy the files into trainer/src/main/resources/dev/finetune/trainer/tensor/.
"""
import sys
from typing import List, Optional

import torch
import torch.nn.functional as F


class SdpaAttention(torch.nn.Module):
    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # q [B, H, T, D]; k, v [B, Hkv, S, D] with H a multiple of Hkv (query head h reads kv head h // G);
        # mask [B, 1, T, S] additive in q's dtype (0 or a large negative finite value), so padding rows stay
        # finite. Scale 1/sqrt(D), as the decoder's eager path.
        groups = q.size(1) // k.size(1)
        if groups > 1:
            # explicit expansion instead of enable_gqa: the memory-efficient kernel, the one that takes a mask,
            # does not implement grouped heads
            k = k.repeat_interleave(groups, dim=1)
            v = v.repeat_interleave(groups, dim=1)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


class SdpaCausal(torch.nn.Module):
    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        # rows of one document each: causal attention without a mask, grouped heads read in place (enable_gqa),
        # which torch serves with its flash kernel on the GPU. q [B, H, T, D]; k, v [B, Hkv, T, D].
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)


class SdpaVarlen(torch.nn.Module):
    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bounds: torch.Tensor,
                longest: torch.Tensor) -> torch.Tensor:
        # packed rows: causal attention inside each document through the variable-length flash kernel (CUDA,
        # FP16/BF16), no mask and grouped heads read in place. q [B, H, T, D]; k, v [B, Hkv, T, D]; bounds int32
        # [N + 1], the documents' cumulative lengths over the B·T tokens taken row by row (padding runs count as
        # documents: they attend only each other, as under the mask); longest a host FP64 [1], the longest length.
        b, h, t, d = q.size(0), q.size(1), q.size(2), q.size(3)
        hkv = k.size(1)
        m = int(longest[0])
        qq = q.transpose(1, 2).reshape(b * t, h, d)
        kk = k.transpose(1, 2).reshape(b * t, hkv, d)
        vv = v.transpose(1, 2).reshape(b * t, hkv, d)
        out = torch.ops.aten._flash_attention_forward(qq, kk, vv, bounds, bounds, m, m, 0.0, True, False,
                                                      scale=1.0 / (d ** 0.5))[0]
        return out.view(b, t, h, d).transpose(1, 2)


class SiluMul(torch.nn.Module):
    def forward(self, gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
        return F.silu(gate) * up


class Nf4Lookup(torch.nn.Module):
    def forward(self, lut: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        # lut [16] in the compute dtype and codes uint8 [N] -> [N]; or, as Nf4Weight uses it, lut [256, 2] (both
        # nibbles' values of each byte) and packed bytes [N] -> [N, 2]
        return lut.index_select(0, codes.to(torch.int32))


class Nf4Dequant(torch.nn.Module):
    """Nf4Weight.materialize for double-quantized absmax, op for op: packed bytes through the [256, 2] pair table.

    Only tensors go in, so DJL can run it with autograd on (its calls with scalar arguments run in inference
    mode, whose outputs cannot be saved for backward): dims is a host int64 tensor [num_blocks, block_size,
    rows, cols] and offset a host float tensor [1]; reading them does not wait for the GPU.
    """

    def forward(self, lut: torch.Tensor, codes: torch.Tensor, qabs: torch.Tensor, nested: torch.Tensor,
                nested_map: torch.Tensor, offset: torch.Tensor, dims: torch.Tensor) -> torch.Tensor:
        num_blocks, block_size, rows, cols = int(dims[0]), int(dims[1]), int(dims[2]), int(dims[3])
        n = nested.size(0)
        absmax = (nested_map.index_select(0, qabs.to(torch.int32)).view(n, -1) * nested.view(n, 1)
                  + float(offset[0])).view(-1)[:num_blocks]
        values = lut.index_select(0, codes.to(torch.int32)).view(num_blocks, block_size)
        w = (values * absmax.to(values.dtype).view(num_blocks, 1)).view(-1)[: rows * cols]
        return w.view(rows, cols)


def check_dequant(path):
    torch.manual_seed(2)
    rows, cols, bs, nbs = 3, 100, 64, 256
    nb = -(-rows * cols // bs)
    lut = torch.randn(256, 2)
    codes = torch.randint(0, 256, (nb * bs // 2,), dtype=torch.uint8)
    qabs = torch.randint(0, 256, (nbs,), dtype=torch.uint8)
    nested = torch.rand(1)
    nmap = torch.randn(256)
    got = torch.jit.load(path)(lut, codes, qabs, nested, nmap, torch.tensor([0.5]),
                               torch.tensor([nb, bs, rows, cols]))
    absmax = (nmap[qabs.long()] * nested[0] + 0.5)[:nb]
    want = (lut[codes.long()].view(nb, bs) * absmax.view(nb, 1)).view(-1)[: rows * cols].view(rows, cols)
    assert torch.equal(got, want)


class Nf4Words(torch.nn.Module):
    """A layer group's NF4 weights: each packed byte's two values read as one 4-byte word, then the block scales.

    lut [256, 2] (both nibbles' values of each byte, compute dtype) is seen as 256 complex numbers of twice the
    width, so the lookup gathers one element per byte instead of a two-element row; view_as_real gives the
    values back in the same order, bit for bit. codes uint8 [NB·B/2], scales [NB, 1] -> [NB, B].
    """

    def forward(self, lut: torch.Tensor, codes: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
        words = torch.view_as_complex(lut).index_select(0, codes.to(torch.int32))
        return torch.view_as_real(words).view(scales.size(0), -1) * scales


def check_words(path):
    torch.manual_seed(3)
    for dtype in (torch.float32, torch.float16) if torch.cuda.is_available() else (torch.float32,):
        dev = "cuda" if dtype == torch.float16 else "cpu"
        lut = torch.randn(256, 2).to(dev, dtype)
        codes = torch.randint(0, 256, (64 * 10 // 2,), dtype=torch.uint8, device=dev)
        scales = torch.rand(10, 1).to(dev, dtype)
        got = torch.jit.load(path)(lut, codes, scales)
        want = lut.index_select(0, codes.to(torch.int32)).view(10, 64) * scales
        assert torch.equal(got, want), dtype


class GlobalNorm(torch.nn.Module):
    """The L2 norm of all tensors together (torch.nn.utils.clip_grad_norm_'s total_norm): FP32 scalar."""

    def forward(self, tensors: List[torch.Tensor]) -> torch.Tensor:
        norms = torch._foreach_norm(tensors, 2.0)
        return torch.linalg.vector_norm(torch.stack(norms), 2.0)


class ForeachMul(torch.nn.Module):
    """Every tensor multiplied in place by factor (gradient unscaling and clipping in one kernel per chunk)."""

    def forward(self, tensors: List[torch.Tensor], factor: float) -> torch.Tensor:
        with torch.no_grad():
            torch._foreach_mul_(tensors, factor)
        return torch.zeros(0)


class ForeachZero(torch.nn.Module):
    """Every tensor set to zero in place (assignment: a NaN stays no NaN)."""

    def forward(self, tensors: List[torch.Tensor]) -> torch.Tensor:
        with torch.no_grad():
            torch._foreach_zero_(tensors)
        return torch.zeros(0)


class BackwardRoots(torch.nn.Module):
    """torch.autograd.backward from several roots at once, each with its upstream gradient (one traversal)."""

    def forward(self, roots: List[torch.Tensor], grads: List[torch.Tensor]) -> torch.Tensor:
        upstream: List[Optional[torch.Tensor]] = []
        for g in grads:
            upstream.append(g)
        torch.autograd.backward(roots, upstream)
        return torch.zeros(0)


def check_global_norm(path):
    torch.manual_seed(4)
    ts = [torch.randn(3, 4), torch.randn(7), torch.randn(1000)]
    n = torch.jit.load(path)(ts)
    want = torch.linalg.vector_norm(torch.cat([t.double().flatten() for t in ts]))
    assert n.dtype == torch.float32 and torch.allclose(n.double(), want, rtol=1e-6), n


def check_foreach_mul(path):
    torch.manual_seed(5)
    ts = [torch.randn(3, 4), torch.randn(7)]
    factor = float(torch.tensor(0.3))  # an FP32 value, as the trainer passes it
    want = [t * torch.tensor(factor) for t in ts]
    torch.jit.load(path)(ts, factor)
    assert all(torch.equal(a, b) for a, b in zip(ts, want))


def check_foreach_zero(path):
    ts = [torch.randn(3, 4), torch.randn(7)]
    ts[0][0, 0] = float("nan")
    ts[1][3] = float("inf")
    torch.jit.load(path)(ts)
    assert all(torch.equal(t, torch.zeros_like(t)) for t in ts)


def check_backward_roots(path):
    torch.manual_seed(6)
    x = torch.randn(5, 3, requires_grad=True)
    w = torch.randn(3, 3)
    a, b = x * 2, x @ w
    ga, gb = torch.randn(5, 3), torch.randn(5, 3)
    torch.jit.load(path)([a, b], [ga, gb])
    assert torch.allclose(x.grad, ga * 2 + gb @ w.t(), atol=1e-6)


class AdamWForeach(torch.nn.Module):
    """torch.optim.AdamW's update (decoupled weight decay, bias correction, eps outside the square root), in place."""

    def forward(self, params: List[torch.Tensor], grads: List[torch.Tensor], exp_avg: List[torch.Tensor],
                exp_avg_sq: List[torch.Tensor], lr: float, beta1: float, beta2: float, eps: float,
                weight_decay: float, step_size: float, bias_correction2_sqrt: float) -> torch.Tensor:
        with torch.no_grad():
            if weight_decay != 0.0:
                torch._foreach_mul_(params, 1.0 - lr * weight_decay)
            torch._foreach_lerp_(exp_avg, grads, 1.0 - beta1)
            torch._foreach_mul_(exp_avg_sq, beta2)
            torch._foreach_addcmul_(exp_avg_sq, grads, grads, 1.0 - beta2)
            denom = torch._foreach_sqrt(exp_avg_sq)
            torch._foreach_div_(denom, bias_correction2_sqrt)
            torch._foreach_add_(denom, eps)
            torch._foreach_addcdiv_(params, exp_avg, denom, -step_size)
        return torch.zeros(0)


def check_adamw(path):
    torch.manual_seed(1)
    ps = [torch.randn(3, 4, requires_grad=True), torch.randn(5, requires_grad=True)]
    ref = [p.detach().clone().requires_grad_(True) for p in ps]
    opt = torch.optim.AdamW(ref, lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1, foreach=False)
    module = torch.jit.load(path)
    m = [torch.zeros_like(p) for p in ps]
    v = [torch.zeros_like(p) for p in ps]
    for step in range(1, 4):
        grads = [torch.randn_like(p) for p in ps]
        for r, g in zip(ref, grads):
            r.grad = g.clone()
        opt.step()
        bc1, bc2 = 1 - 0.9 ** step, 1 - 0.999 ** step
        module(ps, grads, m, v, 1e-2, 0.9, 0.999, 1e-8, 0.1, 1e-2 / bc1, bc2 ** 0.5)
    err = max((p - r).abs().max().item() for p, r in zip(ps, ref))
    assert err < 1e-6, err


def check_nf4_lookup(path):
    lut, codes = torch.randn(256, 2), torch.randint(0, 256, (1000,), dtype=torch.uint8)
    assert torch.equal(torch.jit.load(path)(lut, codes), lut[codes.long()])


def check_silu(path):
    g, u = torch.randn(3, 5, dtype=torch.float64), torch.randn(3, 5, dtype=torch.float64)
    assert torch.allclose(torch.jit.load(path)(g, u), g * torch.sigmoid(g) * u, atol=1e-12)


def grouped_qkv():
    """Seeded q [2, 4, 6, 8] and k, v [2, 2, 6, 8] in FP64: grouped heads, for the attention checks."""
    torch.manual_seed(0)
    return tuple(torch.randn(2, n, 6, 8, dtype=torch.float64) for n in (4, 2, 2))


def plain_attention(q, k, v, mask):
    """softmax(q kᵀ / √D + mask) v with k and v repeated per query head: what the modules must compute."""
    g = q.size(1) // k.size(1)
    kk, vv = k.repeat_interleave(g, dim=1), v.repeat_interleave(g, dim=1)
    return torch.softmax(q @ kk.transpose(-1, -2) / q.size(-1) ** 0.5 + mask, -1) @ vv


def check_sdpa(path):
    # against the plain formula, grouped heads and a block-diagonal mask
    q, k, v = grouped_qkv()
    t = q.size(2)
    seg = torch.tensor([[1, 1, 1, 2, 2, 2], [1, 1, 1, 1, 1, 0]])
    pos = torch.arange(t)
    allowed = (seg[:, None, :, None] == seg[:, None, None, :]) & (pos[:, None] >= pos[None, :])
    mask = torch.where(allowed, 0.0, -1e9).to(torch.float64)
    err = (torch.jit.load(path)(q, k, v, mask) - plain_attention(q, k, v, mask)).abs().max().item()
    assert err < 1e-12, err


def check_sdpa_causal(path):
    q, k, v = grouped_qkv()
    t = q.size(2)
    mask = torch.where(torch.ones(t, t, dtype=torch.bool).tril(), 0.0, float("-inf")).to(torch.float64)
    err = (torch.jit.load(path)(q, k, v) - plain_attention(q, k, v, mask)).abs().max().item()
    assert err < 1e-12, err
    if torch.cuda.is_available():
        # flash on the GPU: FP16, grouped heads, the lengths the trainer uses
        qc, kc, vc = (x.to("cuda", torch.float16).repeat(1, 1, 64, 16) for x in (q, k, v))
        mc = torch.where(torch.ones(t * 64, t * 64, dtype=torch.bool, device="cuda").tril(), 0.0, float("-inf"))
        ref = plain_attention(qc.float(), kc.float(), vc.float(), mc)
        err = (torch.jit.load(path)(qc, kc, vc).float() - ref).abs().max().item()
        assert err < 1e-2, err


def check_sdpa_varlen(path):
    # CUDA only (the flash kernel has no CPU version): against the masked SDPA, forward and backward, FP16
    if not torch.cuda.is_available():
        print(f"{path}: not checked (no CUDA)")
        return
    torch.manual_seed(0)
    b, h, hkv, t, d = 2, 8, 2, 256, 128
    seg = torch.ones(b, t, dtype=torch.long)
    seg[0, 100:] = 2
    seg[0, 230:] = 0  # padding at the end of row 0
    seg[1, 17:] = 2
    seg[1, 200:] = 3
    flat = seg.reshape(-1)
    starts = [0] + [i for i in range(1, b * t) if i % t == 0 or flat[i] != flat[i - 1]] + [b * t]
    bounds = torch.tensor(starts, dtype=torch.int32, device="cuda")
    longest = torch.tensor([float(max(y - x for x, y in zip(starts, starts[1:])))], dtype=torch.float64)
    pos = torch.arange(t)
    allowed = (seg[:, None, :, None] == seg[:, None, None, :]) & (pos[:, None] >= pos[None, :])
    mask = torch.where(allowed, 0.0, -65504.0).to("cuda", torch.float16)
    q, k, v = (torch.randn(b, n, t, d, device="cuda", dtype=torch.float16, requires_grad=True)
               for n in (h, hkv, hkv))
    got = torch.jit.load(path)(q, k, v, bounds, longest)
    g = torch.randn_like(got)
    dq, dk, dv = torch.autograd.grad(got, (q, k, v), g)
    want = F.scaled_dot_product_attention(q, k.repeat_interleave(h // hkv, 1), v.repeat_interleave(h // hkv, 1),
                                          attn_mask=mask)
    wq, wk, wv = torch.autograd.grad(want, (q, k, v), g)
    for name, x, y in (("out", got, want), ("dq", dq, wq), ("dk", dk, wk), ("dv", dv, wv)):
        err = ((x.float() - y.float()).abs().max() / y.float().abs().max()).item()
        assert err < 2e-2, (name, err)


# file, module, check (given the archive's path), and the torch functions it calls that not every torch has
class LoraProject(torch.nn.Module):
    """A frozen projection with its LoRA branch, x Wᵀ + b + s · (dropout(x) Aᵀ) Bᵀ, where the frozen product
    accumulates into the branch's output inside the matrix multiply (addmm_, beta 1) instead of a separate add over
    [..., out]. x [..., in] and w [out, in] in the compute dtype, bias [out] or empty, a [r, in] and b [out, r] FP32
    masters (cast inside the graph), params a host FP64 tensor [scaling, dropout p] -> [..., out]."""

    def forward(self, x: torch.Tensor, w: torch.Tensor, bias: torch.Tensor, a: torch.Tensor, b: torch.Tensor,
                params: torch.Tensor) -> torch.Tensor:
        scaling = float(params[0])
        p = float(params[1])
        x2 = x.reshape(-1, x.size(-1))
        xd = F.dropout(x2, p, True) if p > 0.0 else x2
        low = torch.mm(xd, a.to(x.dtype).t()) * scaling
        bt = b.to(x.dtype).t()
        out = torch.addmm(bias, low, bt) if bias.numel() > 0 else torch.mm(low, bt)
        out.addmm_(x2, w.t())
        shape = x.size()
        shape[-1] = w.size(0)
        return out.view(shape)


def check_lora_project(path):
    torch.manual_seed(8)
    m = torch.jit.load(path)
    for with_bias in (False, True):
        x = torch.randn(2, 5, 16, requires_grad=True)
        w = torch.randn(8, 16)
        bias = torch.randn(8) if with_bias else torch.zeros(0)
        a = torch.randn(4, 16, requires_grad=True)
        b = torch.randn(8, 4, requires_grad=True)
        got = m(x, w, bias, a, b, torch.tensor([0.5, 0.0], dtype=torch.float64))
        want = F.linear(x, w, bias if with_bias else None) + 0.5 * (x @ a.t()) @ b.t()
        assert torch.allclose(got, want, atol=1e-5), with_bias
        g = torch.randn_like(want)
        got_g = torch.autograd.grad(got, (x, a, b), g)
        want_g = torch.autograd.grad(want, (x, a, b), g)
        assert all(torch.allclose(u, v, atol=1e-4) for u, v in zip(got_g, want_g)), with_bias


class Nf4ComplexWords(torch.nn.Module):
    """Nf4Words with the block scales applied to the gathered words: each word times (scale + 0i), a complex
    multiply over half as many elements as the values; bit for bit the same products (checked by the trainer on
    its device before use). lut [256, 2], codes uint8 [NB·B/2], scales [NB, 1] -> [NB, B]."""

    def forward(self, lut: torch.Tensor, codes: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
        words = torch.view_as_complex(lut).index_select(0, codes.to(torch.int32)).view(scales.size(0), -1)
        s = torch.view_as_complex(torch.stack([scales, torch.zeros_like(scales)], -1))
        return torch.view_as_real(words * s).view(scales.size(0), -1)


def check_cwords(path):
    if not torch.cuda.is_available():
        return  # complex32 arithmetic is a CUDA feature; the trainer checks the module where it runs
    torch.manual_seed(3)
    lut = torch.randn(256, 2).cuda().half()
    codes = torch.randint(0, 256, (64 * 10 // 2,), dtype=torch.uint8, device="cuda")
    scales = torch.rand(10, 1).cuda().half()
    got = torch.jit.load(path)(lut, codes, scales)
    want = lut.index_select(0, codes.to(torch.int32)).view(10, 64) * scales
    assert torch.equal(got, want)


class RmsNorm(torch.nn.Module):
    """RMSNorm over the last dimension with FP32 statistics, then a cast: torch.rms_norm, one fused kernel each way
    on CUDA. x [..., D] any float dtype, weight [D] FP32, eps a host FP64 tensor [1], like a host tensor of the
    output dtype (host tensors: reading them does not wait for the GPU) -> [..., D] in like's dtype."""

    def forward(self, x: torch.Tensor, weight: torch.Tensor, eps: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        x = x.float()
        return torch.rms_norm(x, [x.size(-1)], weight, float(eps[0])).to(like.dtype)


def check_rms_norm(path):
    torch.manual_seed(7)
    devs = ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]
    for dev in devs:
        x = torch.randn(2, 5, 64, device=dev, requires_grad=True)
        w = torch.randn(64, device=dev)
        got = torch.jit.load(path, map_location=dev)(x, w, torch.tensor([1e-6], dtype=torch.float64),
                                                     torch.zeros((), dtype=torch.float16))
        want = (x * (x.pow(2).mean(-1, keepdim=True) + 1e-6).rsqrt() * w).half()
        assert got.dtype == torch.float16 and torch.allclose(got.float(), want.float(), rtol=2e-3, atol=2e-3), dev
        g = torch.randn_like(want)
        gx, = torch.autograd.grad(got, x, g)
        wx, = torch.autograd.grad(want, x, g)
        assert torch.allclose(gx, wx, rtol=1e-2, atol=1e-2), dev


# (F.scaled_dot_product_attention and torch._foreach_lerp_ arrive in torch 2.0)
MODULES = [
    ("rms_norm.pt", RmsNorm, check_rms_norm, ["rms_norm"]),
    ("lora_project.pt", LoraProject, check_lora_project, []),
    ("nf4_cwords.pt", Nf4ComplexWords, check_cwords, []),
    ("nf4_words.pt", Nf4Words, check_words, []),
    ("global_norm.pt", GlobalNorm, check_global_norm, ["_foreach_norm"]),
    ("foreach_mul.pt", ForeachMul, check_foreach_mul, []),
    ("foreach_zero.pt", ForeachZero, check_foreach_zero, []),
    ("backward_roots.pt", BackwardRoots, check_backward_roots, []),
    ("adamw_foreach.pt", AdamWForeach, check_adamw, ["_foreach_lerp_"]),
    ("nf4_dequant.pt", Nf4Dequant, check_dequant, []),
    ("nf4_lookup.pt", Nf4Lookup, check_nf4_lookup, []),
    ("silu_mul.pt", SiluMul, check_silu, []),
    ("sdpa_attention.pt", SdpaAttention, check_sdpa, ["nn.functional.scaled_dot_product_attention"]),
    ("sdpa_causal.pt", SdpaCausal, check_sdpa_causal, ["nn.functional.scaled_dot_product_attention"]),
    ("sdpa_varlen.pt", SdpaVarlen, check_sdpa_varlen, ["ops.aten._flash_attention_forward"]),
]


def lacking(names):
    """The dotted torch attributes of names that this torch does not have."""
    missing = []
    for name in names:
        obj = torch
        for part in name.split("."):
            obj = getattr(obj, part, None)
        if obj is None:
            missing.append("torch." + name)
    return missing


def main():
    """Writes and checks every module, or those named after OUT_DIR (e.g. nf4_words.pt); a module calling a
    function this torch lacks is skipped with a line saying which (its archive stays as it is); exit status 1
    when a named module is skipped."""
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    wanted = sys.argv[2:]
    unknown = [w for w in wanted if w not in [m[0] for m in MODULES]]
    if unknown:
        sys.exit(f"unknown module {unknown[0]}; known: {', '.join(m[0] for m in MODULES)}")
    skipped_wanted = False
    for name, cls, check, needs in MODULES:
        if wanted and name not in wanted:
            continue
        missing = lacking(needs)
        if missing:
            print(f"skipped {name}: torch {torch.__version__} has no {', '.join(missing)}")
            skipped_wanted = skipped_wanted or bool(wanted)
            continue
        path = f"{out}/{name}"
        torch.jit.script(cls()).save(path)
        check(path)
        print(f"wrote {path} (torch {torch.__version__}), checked")
    if skipped_wanted:
        sys.exit(1)


if __name__ == "__main__":
    main()
