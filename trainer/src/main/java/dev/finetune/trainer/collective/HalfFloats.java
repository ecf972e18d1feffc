package dev.finetune.trainer.collective;

/**
 * IEEE 754 binary16 conversion (round to nearest, ties to even; subnormals, infinities and NaN kept) for
 * FP16 on the wire. Java 11 has no {@code Float.floatToFloat16}. A chunk is sent with a power-of-two scale
 * that puts its largest magnitude in [2^14, 2^15), so gradients far below FP16's range (LoRA gradients
 * of 1e-9 are common without loss scaling) keep 11 significant bits instead of flushing to zero.
 */
final class HalfFloats {

    private static final float[] TO_FLOAT = new float[65536];

    static {
        for (int h = 0; h < 65536; h++) {
            TO_FLOAT[h] = decode((short) h);
        }
    }

    private HalfFloats() {}

    /** Nearest binary16 of {@code f}, as its bit pattern. */
    static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int val = bits & 0x7fffffff;
        if (val >= 0x7f800000) { // infinity or NaN (NaN keeps a quiet payload bit)
            return (short) (sign | 0x7c00 | (val > 0x7f800000 ? 0x0200 : 0));
        }
        if (val >= 0x477ff000) { // >= 65520 rounds to infinity
            return (short) (sign | 0x7c00);
        }
        if (val >= 0x38800000) { // normal binary16: rebias the exponent by 112, round 13 mantissa bits
            int r = val - 0x38000000;
            r += 0x0fff + ((r >> 13) & 1);
            return (short) (sign | (r >> 13));
        }
        if (val < 0x33000000) { // below 2^-25: rounds to (signed) zero
            return (short) sign;
        }
        int exp = val >>> 23; // binary16 subnormal: m · 2^-24
        int mant = (val & 0x7fffff) | 0x800000;
        int shift = 126 - exp;
        int m = mant >> shift;
        int rem = mant & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (rem > halfway || (rem == halfway && (m & 1) != 0)) {
            m++;
        }
        return (short) (sign | m);
    }

    /** The float value of a binary16 bit pattern. */
    static float toFloat(short h) {
        return TO_FLOAT[h & 0xffff];
    }

    private static float decode(short h) {
        int hb = h & 0xffff;
        int sign = (hb & 0x8000) << 16;
        int exp = (hb >>> 10) & 0x1f;
        int mant = hb & 0x3ff;
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** The power of two a chunk is multiplied by before conversion (0 for an all-zero or non-finite chunk). */
    static int scaleExponent(float[] data, int off, int len) {
        float max = 0f;
        for (int i = off; i < off + len; i++) {
            max = Math.max(max, Math.abs(data[i]));
        }
        if (max == 0f || Float.isInfinite(max) || Float.isNaN(max)) {
            return 0; // NaN/Inf must reach the loss scaler as they are
        }
        return Math.max(-120, Math.min(120, 14 - Math.getExponent(max)));
    }
}
