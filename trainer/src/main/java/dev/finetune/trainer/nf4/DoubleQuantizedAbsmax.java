package dev.finetune.trainer.nf4;

/**
 * NF4 block scales after bitsandbytes' double quantization ({@code compress_statistics=True},
 * docs/formats.md): {@code offset = mean(absmax)}; the centred values {@code absmax - offset} are
 * quantized blockwise (blocks of 256, float32 absmax per block) with the signed 8-bit dynamic code.
 * Dequantized: {@code absmax[i] = map[q[i]] * nestedAbsmax[i / 256] + offset}.
 *
 * <p>Runs on the host: the scales are 1/64 of a weight (1 M floats for a 68 M-weight projection), so the
 * round trip to the host is small next to the NF4 pass that runs on the device.
 */
public final class DoubleQuantizedAbsmax {

    private final byte[] codes;
    private final float[] nestedAbsmax;
    private final float offset;
    private final float[] map;
    private final int nestedBlockSize;

    private DoubleQuantizedAbsmax(byte[] codes, float[] nestedAbsmax, float offset, float[] map, int nestedBlockSize) {
        this.codes = codes;
        this.nestedAbsmax = nestedAbsmax;
        this.offset = offset;
        this.map = map;
        this.nestedBlockSize = nestedBlockSize;
    }

    /** Quantizes {@code absmax} (one float32 per NF4 block) with the dynamic code in blocks of {@code nestedBlockSize}. */
    public static DoubleQuantizedAbsmax quantize(float[] absmax, int nestedBlockSize) {
        double sum = 0;
        for (float a : absmax) {
            sum += a;
        }
        float offset = (float) (sum / absmax.length);
        float[] map = DynamicCode.values();
        int blocks = (absmax.length + nestedBlockSize - 1) / nestedBlockSize;
        float[] nested = new float[blocks];
        byte[] q = new byte[absmax.length];
        for (int b = 0; b < blocks; b++) {
            int from = b * nestedBlockSize;
            int to = Math.min(absmax.length, from + nestedBlockSize);
            float max = 0f;
            for (int i = from; i < to; i++) {
                max = Math.max(max, Math.abs(absmax[i] - offset));
            }
            nested[b] = max;
            // bitsandbytes multiplies by the reciprocal; a zero block maps every value to the code of 0
            float inv = max == 0f ? 0f : 1.0f / max;
            for (int i = from; i < to; i++) {
                float s = Math.max(-1f, Math.min(1f, (absmax[i] - offset) * inv));
                q[i] = (byte) DynamicCode.nearest(map, s);
            }
        }
        return new DoubleQuantizedAbsmax(q, nested, offset, map, nestedBlockSize);
    }

    /** Rebuilds the state from a bitsandbytes checkpoint's tensors (the stored map wins over ours). */
    public static DoubleQuantizedAbsmax of(
            byte[] codes, float[] nestedAbsmax, float offset, float[] map, int nestedBlockSize) {
        int needed = (codes.length + nestedBlockSize - 1) / nestedBlockSize;
        if (nestedAbsmax.length != needed || map.length != 256) {
            throw new IllegalArgumentException("double-quantized absmax: " + codes.length + " codes in blocks of "
                    + nestedBlockSize + " need " + needed
                    + " nested_absmax values and a 256-entry nested_quant_map, found "
                    + nestedAbsmax.length + " and " + map.length);
        }
        return new DoubleQuantizedAbsmax(codes.clone(), nestedAbsmax.clone(), offset, map.clone(), nestedBlockSize);
    }

    /** The absmax values the weight is dequantized with (float32, one per NF4 block). */
    public float[] dequantize() {
        float[] out = new float[codes.length];
        for (int i = 0; i < codes.length; i++) {
            out[i] = map[codes[i] & 0xFF] * nestedAbsmax[i / nestedBlockSize] + offset;
        }
        return out;
    }

    /** One uint8 code per NF4 block ({@code P.weight.absmax} in a checkpoint). */
    public byte[] codes() {
        return codes.clone();
    }

    /** Float32 absmax of each block of centred values ({@code P.weight.nested_absmax}). */
    public float[] nestedAbsmax() {
        return nestedAbsmax.clone();
    }

    /** {@code mean(absmax)}, subtracted before quantizing ({@code nested_offset} in the quant state). */
    public float offset() {
        return offset;
    }

    /** The 256-entry code book ({@code P.weight.nested_quant_map}). */
    public float[] map() {
        return map.clone();
    }

    public int nestedBlockSize() {
        return nestedBlockSize;
    }
}
