package dev.finetune.trainer.nf4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.finetune.trainer.model.LinearWeight;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A layer's projections dequantized together give, weight by weight, exactly what each gives alone: the group
 * only lays the same codes side by side and keeps the block scales each weight derives at every use.
 */
class Nf4LayerGroupTest {

    private static final int[][] SHAPES = {{96, 64}, {32, 64}, {32, 64}, {64, 96}, {128, 64}, {128, 64}, {64, 128}};

    private static List<LinearWeight> layer(NDManager m, Nf4Options o, long seed) {
        Random rnd = new Random(seed);
        List<LinearWeight> out = new ArrayList<>();
        for (int[] s : SHAPES) {
            float[] w = new float[s[0] * s[1]];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (rnd.nextGaussian() * 0.02);
            }
            try (NDArray dense = m.create(w, new Shape(s[0], s[1]))) {
                out.add(Nf4Weight.quantize(dense, o, m));
            }
        }
        return out;
    }

    @Test
    void theGroupDequantizesEveryWeightBitForBitAsItDoesAlone() {
        for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
            for (boolean doubleQuant : new boolean[] {true, false}) {
                try (NDManager m = NDManager.newBaseManager()) {
                    Nf4Options o = Nf4Options.defaults(type).withDoubleQuant(doubleQuant);
                    List<LinearWeight> weights = layer(m, o, 7);
                    List<float[]> alone = new ArrayList<>();
                    List<byte[]> codes = new ArrayList<>();
                    try (NDManager scope = m.newSubManager()) {
                        for (LinearWeight w : weights) {
                            alone.add(w.materialize(scope)
                                    .toType(DataType.FLOAT32, false)
                                    .toFloatArray());
                            codes.add(((Nf4Weight) w).codes());
                        }
                    }
                    Nf4LayerGroup group = Nf4LayerGroup.of(weights, m);
                    assertNotNull(group, "whole blocks, one dtype: the weights group");
                    String what = type + (doubleQuant ? " double-quantized" : " plain absmax");
                    try (NDManager scope = m.newSubManager()) {
                        NDArray[] together = group.materialize(scope);
                        assertEquals(weights.size(), together.length);
                        for (int i = 0; i < together.length; i++) {
                            assertEquals(weights.get(i).shape(), together[i].getShape(), what + " weight " + i);
                            assertEquals(type, together[i].getDataType());
                            assertArrayEquals(
                                    alone.get(i),
                                    together[i].toType(DataType.FLOAT32, false).toFloatArray(),
                                    0f,
                                    what + " weight " + i);
                        }
                        // each weight now reads its codes from the group's array; alone it still gives the same
                        for (int i = 0; i < weights.size(); i++) {
                            assertArrayEquals(codes.get(i), ((Nf4Weight) weights.get(i)).codes(), what + " codes " + i);
                            assertArrayEquals(
                                    alone.get(i),
                                    weights.get(i)
                                            .materialize(scope)
                                            .toType(DataType.FLOAT32, false)
                                            .toFloatArray(),
                                    0f,
                                    what + " weight " + i + " alone");
                        }
                    }
                    group.close();
                    for (LinearWeight w : weights) {
                        w.close();
                    }
                }
            }
        }
    }

    @Test
    void weightsWithAPartialBlockAreLeftToThemselves() {
        try (NDManager m = NDManager.newBaseManager()) {
            Nf4Options o = Nf4Options.defaults(DataType.FLOAT32);
            List<LinearWeight> weights = layer(m, o, 3);
            try (NDArray odd = m.create(new float[37 * 45], new Shape(37, 45))) { // 1665 weights: a short last block
                weights.add(Nf4Weight.quantize(odd, o, m));
            }
            assertNull(Nf4LayerGroup.of(weights, m));
        }
    }
}
