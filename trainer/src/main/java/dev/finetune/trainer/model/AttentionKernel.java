package dev.finetune.trainer.model;

import java.util.Locale;

/**
 * How a decoder layer computes attention; the names are transformers' {@code attn_implementation} values.
 * SDPA (default) calls torch's scaled_dot_product_attention through a small TorchScript module (DJL exposes no
 * fused attention) and never holds the T×S scores: a batch whose rows are one document each takes the causal
 * flash kernel without a mask, packed or padded rows the memory-efficient kernel with their mask; the MLP's
 * silu(gate)·up goes through a TorchScript module too. EAGER spells everything out with DJL ops (matmul, FP32
 * softmax, matmul; x·sigmoid(x)·up) and loads no TorchScript: the reference the SDPA path is tested against.
 */
public enum AttentionKernel {
    SDPA,
    EAGER;

    /** "sdpa" or "eager" (any case). */
    public static AttentionKernel parse(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        switch (n) {
            case "sdpa":
                return SDPA;
            case "eager":
                return EAGER;
            default:
                throw new IllegalArgumentException("attn_implementation '" + name + "' is not known; use sdpa "
                        + "(fused kernels, the default) or eager (plain DJL ops)");
        }
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
