package dev.finetune.trainer.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The trainer's GradientSync over the ring: NDArray gradients in place, exact double scalars. */
class TcpGradientSyncTest {

    @Test
    void gradientsAreSummedInPlaceAndScalarsExactlyOnEveryRank() throws Exception {
        List<Object[]> got = LocalRing.run(3, UnaryOperator.identity(), c -> {
            try (NDManager m = NDManager.newBaseManager();
                    TcpGradientSync sync = new TcpGradientSync(c)) {
                int r = sync.rank();
                NDArray a = m.create(new float[] {r, 2 * r, 3 * r, 1}, new Shape(2, 2));
                NDArray b = m.create(new float[] {0.5f * r, 7}).toType(DataType.FLOAT16, false);
                sync.allReduceSum(Arrays.asList(a, b));
                double[] s = sync.allReduceSum(new double[] {1e9 + r, 0.1 * r});
                sync.barrier();
                return new Object[] {
                    a.toFloatArray(),
                    a.getShape(),
                    b.toType(DataType.FLOAT32, false).toFloatArray(),
                    b.getDataType(),
                    s
                };
            }
        });
        for (Object[] g : got) {
            assertArrayEquals(new float[] {3, 6, 9, 3}, (float[]) g[0], 0f);
            assertEquals(new Shape(2, 2), g[1]);
            assertArrayEquals(new float[] {1.5f, 21}, (float[]) g[2], 0f);
            assertEquals(DataType.FLOAT16, g[3]);
            assertArrayEquals(new double[] {3e9 + 3, 0.0 + 0.1 + 0.2}, (double[]) g[4], 0.0);
        }
    }
}
