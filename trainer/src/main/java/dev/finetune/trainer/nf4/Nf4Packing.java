package dev.finetune.trainer.nf4;

/**
 * Host-side packing of 4-bit codes in bitsandbytes' on-disk order (docs/formats.md; bitsandbytes {@code kQuantizeBlockwise}):
 * {@code byte[k] = (code[2k] << 4) | code[2k+1]}, an odd count padded with a zero code.
 */
public final class Nf4Packing {

    private Nf4Packing() {}

    /** Packs codes 0..15 two per byte; the result has ceil(n / 2) bytes. */
    public static byte[] pack(byte[] codes) {
        byte[] out = new byte[(codes.length + 1) / 2];
        for (int i = 0; i < codes.length; i++) {
            int c = codes[i];
            if (c < 0 || c > 15) {
                throw new IllegalArgumentException("4-bit code at index " + i + " is " + c + ", expected 0..15");
            }
            out[i >> 1] |= (byte) ((i & 1) == 0 ? c << 4 : c);
        }
        return out;
    }

    /** The first {@code n} codes of a packed array. */
    public static byte[] unpack(byte[] packed, int n) {
        if (packed.length < (n + 1) / 2) {
            throw new IllegalArgumentException("packed NF4 data holds " + packed.length + " bytes, " + (n + 1) / 2
                    + " needed for " + n + " codes");
        }
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            int b = packed[i >> 1] & 0xFF;
            out[i] = (byte) ((i & 1) == 0 ? b >>> 4 : b & 0x0F);
        }
        return out;
    }
}
