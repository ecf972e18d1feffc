"""Writes the TorchScript modules the trainer calls for kernels DJL does not expose (docs/djl.md):
sdpa_attention.pt (torch's scaled_dot_product_attention: flash / memory-efficient / CPU kernels) and
silu_mul.pt (F.silu(gate) * up, the MLP activation, in one kernel fewer than x * sigmoid(x) * up) and
nf4_lookup.pt (NF4 code values by index_select with int32 indices: DJL's take needs int64 codes, 8 bytes of
transient per weight element instead of 4), nf4_dequant.pt (a whole double-quantized NF4 weight in one call:
about 15 DJL calls fewer per weight and use) and adamw_foreach.pt (torch's AdamW update for all LoRA tensors in one
call through the multi-tensor _foreach ops, instead of about 20 JNI calls and kernels per tensor).

Each archive holds its source as text and is compiled by whatever libtorch loads it (2.7.1 in DJL), so the
modules only use ops that exist there. Run: python make_modules.py OUT_DIR, then copy the files into
trainer/src/main/resources/dev/finetune/trainer/tensor/.
"""
import sys
from typing import List

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


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    adamw = torch.jit.script(AdamWForeach())
    adamw.save(f"{out}/adamw_foreach.pt")
    check_adamw(f"{out}/adamw_foreach.pt")
    dequant = torch.jit.script(Nf4Dequant())
    dequant.save(f"{out}/nf4_dequant.pt")
    check_dequant(f"{out}/nf4_dequant.pt")
    lookup = torch.jit.script(Nf4Lookup())
    lookup.save(f"{out}/nf4_lookup.pt")
    lut, codes = torch.randn(256, 2), torch.randint(0, 256, (1000,), dtype=torch.uint8)
    assert torch.equal(torch.jit.load(f"{out}/nf4_lookup.pt")(lut, codes), lut[codes.long()])
    silu = torch.jit.script(SiluMul())
    silu.save(f"{out}/silu_mul.pt")
    g, u = torch.randn(3, 5, dtype=torch.float64), torch.randn(3, 5, dtype=torch.float64)
    assert torch.allclose(torch.jit.load(f"{out}/silu_mul.pt")(g, u), g * torch.sigmoid(g) * u, atol=1e-12)
    module = torch.jit.script(SdpaAttention())
    path = f"{out}/sdpa_attention.pt"
    module.save(path)
    # self-check against the plain formula, grouped heads and a block-diagonal mask
    torch.manual_seed(0)
    b, h, hkv, t, d = 2, 4, 2, 6, 8
    q = torch.randn(b, h, t, d, dtype=torch.float64)
    k = torch.randn(b, hkv, t, d, dtype=torch.float64)
    v = torch.randn(b, hkv, t, d, dtype=torch.float64)
    seg = torch.tensor([[1, 1, 1, 2, 2, 2], [1, 1, 1, 1, 1, 0]])
    pos = torch.arange(t)
    allowed = (seg[:, None, :, None] == seg[:, None, None, :]) & (pos[:, None] >= pos[None, :])
    mask = torch.where(allowed, 0.0, -1e9).to(torch.float64)
    got = torch.jit.load(path)(q, k, v, mask)
    kk = k.repeat_interleave(2, dim=1)
    vv = v.repeat_interleave(2, dim=1)
    want = torch.softmax(q @ kk.transpose(-1, -2) / d ** 0.5 + mask, -1) @ vv
    err = (got - want).abs().max().item()
    print(f"wrote {path} (torch {torch.__version__}); max abs error vs formula {err:.2e}")
    assert err < 1e-12


if __name__ == "__main__":
    main()
