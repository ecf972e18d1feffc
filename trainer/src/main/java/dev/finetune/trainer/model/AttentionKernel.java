package dev.finetune.trainer.model;

import java.util.Locale;

/**
 * How a decoder layer computes attention; the names are transformers' {@code attn_implementation} values.
 * SDPA (default) calls torch's scaled_dot_product_attention through a small TorchScript module (DJL exposes no
 * fused attention): flash / memory-efficient kernels on GPU that never hold the T×S scores; the MLP's
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
