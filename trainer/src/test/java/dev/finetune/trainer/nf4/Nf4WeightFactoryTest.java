package dev.finetune.trainer.nf4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.finetune.trainer.model.LinearWeight;
import dev.finetune.trainer.model.LinearWeightFactory;
import dev.finetune.trainer.model.TensorSource;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The loader's plug-in: same result as quantizing the FP32 tensor directly, nothing left behind. */
class Nf4WeightFactoryTest {

    @Test
    void factoryQuantizesEachTensorFromFp32AndFreesTheDenseCopy() throws Exception {
        float[] w = new float[96 * 64];
        Random rnd = new Random(11);
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian() * 0.02f;
        }
        TensorSource source = fp32Source(w, 96, 64);
        try (NDManager model = NDManager.newBaseManager();
                NDArray direct = model.create(w, new Shape(96, 64));
                Nf4Weight expected = Nf4Weight.quantize(direct, Nf4Options.defaults(DataType.FLOAT32), model)) {
            int before = model.getManagedArrays().size();
            try (LinearWeight q = Nf4WeightFactory.defaults()
                            .create("model.layers.0.mlp.up_proj.weight", source, model, DataType.FLOAT32);
                    NDManager scope = model.newSubManager()) {
                assertEquals(new Shape(96, 64), q.shape());
                assertArrayEquals(
                        expected.materialize(scope).toFloatArray(),
                        q.materialize(scope).toFloatArray(),
                        0f);
            }
            assertEquals(before, model.getManagedArrays().size(), "no dense copy or NF4 state outlives the weight");
        }
    }

    @Test
    void forBaseIsDenseWithout4bitAndQuantizesWithTheAskedDoubleQuantWithIt() throws Exception {
        assertSame(LinearWeightFactory.DENSE, Nf4WeightFactory.forBase(false, true));
        float[] w = new float[256];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) Math.sin(i);
        }
        TensorSource source = fp32Source(w, 4, 64);
        try (NDManager model = NDManager.newBaseManager()) {
            for (boolean dq : new boolean[] {true, false}) {
                try (LinearWeight q = Nf4WeightFactory.forBase(true, dq).create("w", source, model, DataType.FLOAT32)) {
                    assertTrue(q instanceof Nf4Weight, "use_4bit gives NF4 weights");
                    // only double quantization keeps a nested absmax state
                    assertEquals(dq, ((Nf4Weight) q).doubleQuantState() != null, "double_quant=" + dq);
                }
            }
        }
    }

    /** Every name holds {@code w} as a [rows, cols] tensor; the factory must ask for FP32. */
    private static TensorSource fp32Source(float[] w, long rows, long cols) {
        return new TensorSource() {
            @Override
            public boolean contains(String name) {
                return true;
            }

            @Override
            public long[] shape(String name) {
                return new long[] {rows, cols};
            }

            @Override
            public NDArray load(String name, NDManager manager, DataType dtype) {
                assertEquals(DataType.FLOAT32, dtype, "NF4 quantizes from FP32");
                return manager.create(w, new Shape(rows, cols));
            }
        };
    }
}
