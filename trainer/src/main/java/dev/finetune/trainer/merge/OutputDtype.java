package dev.finetune.trainer.merge;

import dev.finetune.trainer.safetensors.SafetensorsDType;
import java.util.Locale;

/** The dtype a merged model is written in, with the names the CLI, safetensors and config.json use for it. */
public enum OutputDtype {
    BF16(SafetensorsDType.BF16, "bfloat16"),
    FP16(SafetensorsDType.F16, "float16"),
    FP32(SafetensorsDType.F32, "float32");

    /** The safetensors header dtype. */
    public final SafetensorsDType safetensors;
    /** The torch name written as config.json's {@code torch_dtype} / {@code dtype}. */
    public final String torchName;

    OutputDtype(SafetensorsDType safetensors, String torchName) {
        this.safetensors = safetensors;
        this.torchName = torchName;
    }

    /** bf16 | fp16 | fp32, or the torch names bfloat16 | float16 | float32 (case-insensitive). */
    public static OutputDtype parse(String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        for (OutputDtype d : values()) {
            if (v.equals(d.name().toLowerCase(Locale.ROOT)) || v.equals(d.torchName)) {
                return d;
            }
        }
        if (v.equals("half")) {
            return FP16;
        }
        if (v.equals("float")) {
            return FP32;
        }
        throw new IllegalArgumentException("--dtype = '" + value + "'; allowed bf16, fp16, fp32");
    }

    /** The dtype a config.json names ({@code torch_dtype}/{@code dtype}), or null when it names none we write. */
    public static OutputDtype ofTorchName(String torchName) {
        for (OutputDtype d : values()) {
            if (d.torchName.equals(torchName)) {
                return d;
            }
        }
        return null;
    }

    /**
     * The smallest magnitude that rounds to ±Inf in this dtype (round to nearest even): 65520 for FP16, the
     * midpoint above BF16's largest finite value for BF16, +Inf for FP32. A value is writable when
     * {@code |v| < overflowLimit()}, which NaN never is.
     */
    public float overflowLimit() {
        switch (this) {
            case FP16:
                return 65520f;
            case BF16:
                return Float.intBitsToFloat(0x7F7F8000);
            default:
                return Float.POSITIVE_INFINITY;
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
