package dev.finetune.trainer.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.finetune.trainer.train.WeightAgreement;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Before rank 0 publishes for everyone, all ranks prove over the real ring that their weights are identical. */
class WeightAgreementTest {
    private static final List<String> KEYS = Arrays.asList("a", "b");

    /** Runs the check on 3 ranks; {@code oddRank} (or -1) nudges one element of tensor b by one ulp first. */
    private static List<String> verdicts(int oddRank) throws Exception {
        return LocalRing.run(3, UnaryOperator.identity(), c -> {
            try (NDManager m = NDManager.newBaseManager();
                    TcpGradientSync sync = new TcpGradientSync(c)) {
                float[] a = random(1, 37);
                float[] b = random(2, 1000);
                if (sync.rank() == oddRank) {
                    b[999] = Math.nextUp(b[999]);
                }
                NDArray ta = m.create(a, new Shape(37));
                NDArray tb = m.create(b, new Shape(10, 100));
                try {
                    WeightAgreement.require(Arrays.asList(ta, tb), KEYS, sync, "checkpoint 7");
                    return "agreed";
                } catch (IllegalStateException e) {
                    return e.getMessage();
                }
            }
        });
    }

    private static float[] random(long seed, int n) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void identicalWeightsPassOnEveryRank() throws Exception {
        assertEquals(Arrays.asList("agreed", "agreed", "agreed"), verdicts(-1));
    }

    @Test
    void oneUlpOnOneRankStopsEveryRankNamingItAndTheTensor() throws Exception {
        for (String v : verdicts(2)) {
            assertTrue(v.startsWith("not writing checkpoint 7: the LoRA weights of rank(s) [2] differ"), v);
            assertTrue(v.contains("first differing tensor: b"), v);
        }
    }
}
