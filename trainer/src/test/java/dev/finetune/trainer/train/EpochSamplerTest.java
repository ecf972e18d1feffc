package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EpochSamplerTest {

    @Test
    void ranksTakeDisjointSharesThatTogetherAreOneRankWithTheirCombinedBatch() {
        long rows = 103;
        EpochSampler r0 = new EpochSampler(rows, 2, 0, 3, 2, 7);
        EpochSampler r1 = new EpochSampler(rows, 2, 1, 3, 2, 7);
        EpochSampler single = new EpochSampler(rows, 1, 0, 6, 2, 7);
        assertEquals(single.stepsPerEpoch(), r0.stepsPerEpoch());
        Set<Long> seen = new HashSet<>();
        for (long step = 0; step < r0.stepsPerEpoch(); step++) {
            for (int micro = 0; micro < 2; micro++) {
                long[] a = r0.microBatch(1, step, micro);
                long[] b = r1.microBatch(1, step, micro);
                long[] both = new long[6];
                System.arraycopy(a, 0, both, 0, 3);
                System.arraycopy(b, 0, both, 3, 3);
                assertArrayEquals(single.microBatch(1, step, micro), both, "2 ranks × 3 rows = 1 rank × 6 rows");
                for (long x : both) {
                    assertTrue(seen.add(x), "row " + x + " read twice in one epoch");
                }
            }
        }
        assertEquals(rows - r0.rowsLeftOutPerEpoch(), seen.size());
    }

    @Test
    void theOrderIsASeededPermutationThatChangesPerEpoch() {
        EpochSampler s = new EpochSampler(50, 1, 0, 1, 1, 3);
        long[] e0 = s.order(0).clone();
        long[] e1 = s.order(1).clone();
        assertArrayEquals(e0, new EpochSampler(50, 1, 0, 1, 1, 3).order(0), "same seed, same order");
        assertFalse(Arrays.equals(e0, e1), "a new shuffle each epoch");
        long[] sorted = e1.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            assertEquals(i, sorted[i]);
        }
    }

    @Test
    void tooFewRowsForOneStepIsAClearError() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new EpochSampler(5, 2, 0, 2, 2, 0));
        assertTrue(e.getMessage().contains("2 × 2 × 2 = 8"), e.getMessage());
    }
}
