package dev.finetune.trainer.nf4;

import java.util.Arrays;

/**
 * The signed 8-bit dynamic code book bitsandbytes uses to quantize NF4's absmax values ("double
 * quantization"): {@code create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)}
 * (docs/formats.md). For i in 0..6: 2^i + 1 float32 points {@code linspace(0.1, 1.0)}, their 2^i midpoints
 * scaled by 10^(i-6), with their negatives; then 0 and 1.0; sorted (254 + 2 = 256 values).
 *
 * <p>Float32 arithmetic follows torch's CPU kernels (linspace from both ends with a float step, midpoints
 * and scaling in float32). A reader of a bitsandbytes checkpoint uses the stored {@code nested_quant_map}
 * anyway, so a last-bit difference here could only change which code a value rounds to when we quantize.
 */
public final class DynamicCode {

    private static final float[] MAP = build();

    private DynamicCode() {}

    /** The 256 sorted code values. */
    public static float[] values() {
        return MAP.clone();
    }

    /**
     * Index of the code nearest to {@code x} in the sorted {@code map}; on an exact tie the lower index wins,
     * as {@code argmin} in bitsandbytes' reference backend.
     */
    public static int nearest(float[] map, float x) {
        int hi = Arrays.binarySearch(map, x);
        if (hi >= 0) {
            while (hi > 0 && map[hi - 1] == x) {
                hi--;
            }
            return hi;
        }
        hi = -hi - 1; // first index with map[hi] > x
        if (hi == 0) {
            return 0;
        }
        if (hi == map.length) {
            return map.length - 1;
        }
        int lo = hi - 1;
        return (x - map[lo]) <= (map[hi] - x) ? lo : hi;
    }

    private static float[] build() {
        float[] data = new float[256];
        int n = 0;
        for (int i = 0; i < 7; i++) {
            int points = (1 << i) + 1;
            float[] boundaries = linspace(0.1f, 1.0f, points);
            float scale = (float) Math.pow(10, i - 6);
            for (int k = 0; k < points - 1; k++) {
                float mean = (boundaries[k] + boundaries[k + 1]) / 2.0f;
                data[n++] = mean * scale;
                data[n++] = mean * -scale;
            }
        }
        data[n++] = 0f;
        data[n++] = 1.0f;
        if (n != 256) {
            throw new IllegalStateException("dynamic map has " + n + " values, expected 256");
        }
        Arrays.sort(data);
        return data;
    }

    /** torch.linspace in float32: the first half counts up from start, the second down from end. */
    private static float[] linspace(float start, float end, int steps) {
        float[] out = new float[steps];
        float step = (end - start) / (steps - 1);
        int halfway = steps / 2;
        for (int i = 0; i < steps; i++) {
            out[i] = i < halfway ? start + step * i : end - step * (steps - i - 1);
        }
        return out;
    }
}
