package dev.finetune.trainer.merge;

import java.util.stream.IntStream;

/**
 * W ← W + scale·(B·A) in FP32 on the heap, the update peft's {@code merge_and_unload} applies (delta computed in
 * FP32, then scaled, then added). Rows are independent, so they run in parallel; each thread keeps one row of
 * the delta, no [out, in] temporary.
 */
public final class LoraDelta {
    private LoraDelta() {}

    /**
     * @param w [out, in] row-major, updated in place
     * @param a [r, in] row-major
     * @param b [out, r] row-major
     */
    public static void addTo(float[] w, int out, int in, float[] a, float[] b, int r, float scale) {
        if ((long) out * in != w.length || (long) r * in != a.length || (long) out * r != b.length) {
            throw new IllegalArgumentException(
                    "shapes do not agree: W " + w.length + " = [" + out + ", " + in + "]?, A " + a.length + " = [" + r
                            + ", " + in + "]?, B " + b.length + " = [" + out + ", " + r + "]?");
        }
        ThreadLocal<float[]> rows = ThreadLocal.withInitial(() -> new float[in]);
        IntStream.range(0, out).parallel().forEach(o -> {
            float[] row = rows.get(); // [in]: (B·A)[o, :]
            java.util.Arrays.fill(row, 0f);
            for (int k = 0; k < r; k++) {
                float bk = b[o * r + k];
                int ak = k * in;
                for (int i = 0; i < in; i++) {
                    row[i] += bk * a[ak + i];
                }
            }
            int wo = o * in;
            for (int i = 0; i < in; i++) {
                w[wo + i] += row[i] * scale;
            }
        });
    }
}
