package dev.finetune.trainer.nf4;

/**
 * The NF4 code book and its decision thresholds, exactly as bitsandbytes has them (docs/formats.md;
 * bitsandbytes {@code functional.py get_4bit_type("nf4")}, {@code csrc/kernels.cu dQuantizeNF4}).
 * Index = 4-bit code; values are quantiles of N(0,1) normalised to [-1, 1].
 */
public final class Nf4Code {

    /** Code value for each 4-bit index 0..15 (sorted ascending, 0 at index 7). */
    private static final float[] VALUES = {
        -1.0f,
        -0.6961928009986877f,
        -0.5250730514526367f,
        -0.39491748809814453f,
        -0.28444138169288635f,
        -0.18477343022823334f,
        -0.09105003625154495f,
        0.0f,
        0.07958029955625534f,
        0.16093020141124725f,
        0.24611230194568634f,
        0.33791524171829224f,
        0.44070982933044434f,
        0.5626170039176941f,
        0.7229568362236023f,
        1.0f,
    };

    /**
     * The 15 thresholds of the CUDA decision tree: a scaled value s gets code k = number of thresholds t with
     * {@code s > t} (strict, so a value exactly on a midpoint takes the lower code).
     */
    private static final float[] THRESHOLDS = {
        -0.8480964004993439f,
        -0.6106329262256622f,
        -0.4599952697753906f,
        -0.33967943489551544f,
        -0.23460740596055984f,
        -0.13791173323988914f,
        -0.045525018125772476f,
        0.03979014977812767f,
        0.1202552504837513f,
        0.2035212516784668f,
        0.2920137718319893f,
        0.3893125355243683f,
        0.5016634166240692f,
        0.6427869200706482f,
        0.8614784181118011f,
    };

    private Nf4Code() {}

    /** A copy of the 16 code values. */
    public static float[] values() {
        return VALUES.clone();
    }

    /** A copy of the 15 decision thresholds. */
    public static float[] thresholds() {
        return THRESHOLDS.clone();
    }

    /** The code of one already scaled value (reference path for host code and tests of the device path). */
    public static int encode(float scaled) {
        int code = 0;
        for (float t : THRESHOLDS) {
            if (scaled > t) {
                code++;
            }
        }
        return code;
    }
}
