package dev.finetune.trainer.nf4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The code books, thresholds and nibble order against the values in bitsandbytes' source. */
class Nf4CodeTest {

    /** bitsandbytes' NF4 table (functional.py get_4bit_type), as doubles, the way bitsandbytes lists them. */
    private static final double[] SPEC_NF4 = {
        -1.0,
        -0.6961928009986877,
        -0.5250730514526367,
        -0.39491748809814453,
        -0.28444138169288635,
        -0.18477343022823334,
        -0.09105003625154495,
        0.0,
        0.07958029955625534,
        0.16093020141124725,
        0.24611230194568634,
        0.33791524171829224,
        0.44070982933044434,
        0.5626170039176941,
        0.7229568362236023,
        1.0,
    };

    @Test
    void codeTableIsTheSpecSheetsNf4TableInIndexOrder() {
        float[] values = Nf4Code.values();
        assertEquals(16, values.length);
        for (int i = 0; i < 16; i++) {
            assertEquals((float) SPEC_NF4[i], values[i], 0f, "code " + i);
        }
    }

    @Test
    void thresholdsAreTheMidpointsBetweenNeighbouringCodes() {
        float[] t = Nf4Code.thresholds();
        assertEquals(15, t.length);
        for (int k = 0; k < 15; k++) {
            assertEquals((SPEC_NF4[k] + SPEC_NF4[k + 1]) / 2, t[k], 1e-7, "threshold " + k);
        }
    }

    @Test
    void encodeGivesTheNearestCodeAndTheLowerCodeOnAThreshold() {
        Random rnd = new Random(1);
        for (int i = 0; i < 100_000; i++) {
            float s = rnd.nextFloat() * 2 - 1;
            int best = 0;
            for (int k = 1; k < 16; k++) {
                if (Math.abs(s - SPEC_NF4[k]) < Math.abs(s - SPEC_NF4[best])) {
                    best = k;
                }
            }
            assertEquals(best, Nf4Code.encode(s), "s=" + s);
        }
        float[] t = Nf4Code.thresholds();
        for (int k = 0; k < 15; k++) {
            assertEquals(k, Nf4Code.encode(t[k]), "exactly on threshold " + k);
            assertEquals(k + 1, Nf4Code.encode(Math.nextUp(t[k])), "just above threshold " + k);
        }
    }

    @Test
    void packingPutsEvenElementsInTheHighNibble() {
        // bitsandbytes' kQuantizeBlockwise: byte = (q[2k] << 4) | q[2k+1]; an odd count is padded with a zero code
        byte[] codes = {2, 1, 15, 0, 8, 10, 7, 14, 5};
        byte[] packed = Nf4Packing.pack(codes);
        assertArrayEquals(new byte[] {0x21, (byte) 0xF0, (byte) 0x8A, 0x7E, 0x50}, packed);
        assertArrayEquals(codes, Nf4Packing.unpack(packed, codes.length));
    }

    @Test
    void packedRoundTripRestoresEveryCode() {
        Random rnd = new Random(2);
        byte[] codes = new byte[10_001];
        for (int i = 0; i < codes.length; i++) {
            codes[i] = (byte) rnd.nextInt(16);
        }
        assertArrayEquals(codes, Nf4Packing.unpack(Nf4Packing.pack(codes), codes.length));
    }

    @Test
    void dynamicMapHas256SortedSymmetricValuesFromZeroToOne() {
        float[] map = DynamicCode.values();
        assertEquals(256, map.length);
        for (int i = 1; i < 256; i++) {
            assertTrue(map[i - 1] <= map[i], "sorted at " + i);
        }
        assertEquals(1.0f, map[255], 0f);
        // create_dynamic_map(signed=True): 127 negative values, 0, 127 positive ones below 1, then 1.0
        assertEquals(0f, map[127], 0f);
        for (int k = 0; k < 127; k++) {
            assertEquals(-map[128 + k], map[126 - k], 0f, "symmetric pair " + k);
        }
        // smallest magnitude: i=0, linspace(0.1, 1, 2) has the one midpoint 0.55, times 1e-6
        assertEquals(5.5e-7, map[128], 1e-12);
        // largest below 1: i=6, the last midpoint of linspace(0.1, 1, 65) = 1 - 0.9/128
        assertEquals(1 - 0.9 / 128, map[254], 1e-6);
    }

    @Test
    void doubleQuantizedAbsmaxStaysWithinHalfACodeGapOfTheTruth() {
        Random rnd = new Random(3);
        float[] absmax = new float[5000]; // not a multiple of 256: the last nested block is short
        for (int i = 0; i < absmax.length; i++) {
            absmax[i] = (float) (0.02 + 0.01 * Math.abs(rnd.nextGaussian()));
        }
        DoubleQuantizedAbsmax dq = DoubleQuantizedAbsmax.quantize(absmax, 256);
        float[] back = dq.dequantize();
        float[] map = DynamicCode.values();
        double maxHalfGap = 0;
        for (int i = 1; i < 256; i++) {
            maxHalfGap = Math.max(maxHalfGap, (map[i] - map[i - 1]) / 2.0);
        }
        double sumRel = 0;
        for (int i = 0; i < absmax.length; i++) {
            double bound = maxHalfGap * dq.nestedAbsmax()[i / 256] + 1e-8;
            double err = Math.abs(back[i] - absmax[i]);
            assertTrue(err <= bound, "absmax " + i + ": error " + err + " > bound " + bound);
            sumRel += err / absmax[i];
        }
        assertEquals(20, dq.nestedAbsmax().length);
        // the dynamic code is finest near 0: centred scales come back within well under 1 % on average
        assertTrue(sumRel / absmax.length < 0.01, "mean relative absmax error " + sumRel / absmax.length);
    }
}
