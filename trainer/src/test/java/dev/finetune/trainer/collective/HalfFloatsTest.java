package dev.finetune.trainer.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** binary16 conversion against the format's laws: exact round trips and nearest-value rounding. */
class HalfFloatsTest {

    @Test
    void everyHalfValueRoundTripsExactly() {
        for (int h = 0; h < 65536; h++) {
            float f = HalfFloats.toFloat((short) h);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(HalfFloats.toFloat(HalfFloats.fromFloat(f))));
                continue;
            }
            assertEquals(h, HalfFloats.fromFloat(f) & 0xffff, "half 0x" + Integer.toHexString(h));
        }
    }

    @Test
    void floatsRoundToTheNearestHalfTiesToEven() {
        assertEquals(1.0f, HalfFloats.toFloat(HalfFloats.fromFloat(1.0f + 0x1p-11f)), 0f, "tie goes to even");
        assertEquals(
                1.0f + 0x1p-9f,
                HalfFloats.toFloat(HalfFloats.fromFloat(1.0f + 0x1p-10f + 0x1p-11f)),
                0f,
                "tie goes to even");
        assertEquals(65504f, HalfFloats.toFloat(HalfFloats.fromFloat(65519f)), 0f);
        assertEquals(Float.POSITIVE_INFINITY, HalfFloats.toFloat(HalfFloats.fromFloat(65520f)), 0f);
        assertEquals(0x1p-24f, HalfFloats.toFloat(HalfFloats.fromFloat(0x1.8p-25f)), 0f, "smallest subnormal");
        Random rnd = new Random(7);
        for (int i = 0; i < 200_000; i++) {
            float f = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(12) - 8));
            short h = HalfFloats.fromFloat(f);
            float got = HalfFloats.toFloat(h);
            float below = HalfFloats.toFloat((short) (h - 1));
            float above = HalfFloats.toFloat((short) (h + 1));
            assertTrue(
                    Math.abs(f - got) <= far(f, below) && Math.abs(f - got) <= far(f, above),
                    f + " → " + got + " but neighbours " + below + ", " + above);
        }
    }

    /** Distance to a neighbouring bit pattern; past ±0 the pattern wraps to NaN, which is no competitor. */
    private static float far(float f, float neighbour) {
        return Float.isNaN(neighbour) ? Float.POSITIVE_INFINITY : Math.abs(f - neighbour);
    }
}
