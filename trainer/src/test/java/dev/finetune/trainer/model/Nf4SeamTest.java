package dev.finetune.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.finetune.trainer.nf4.Nf4Options;
import dev.finetune.trainer.nf4.Nf4Weight;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Base weights plug in through LinearWeightFactory: the model uses whatever materialize() returns. */
class Nf4SeamTest {

    static TrainingBatch row() {
        long[] ids = {185, 487, 202, 196, 181, 58, 300, 12};
        long[] seg = new long[ids.length];
        Arrays.fill(seg, 1);
        return TrainingBatch.of(1, ids.length, ids, seg, new boolean[ids.length]);
    }

    /** A LinearWeight that materializes a fresh copy on each use, as a quantized weight does. */
    static final class CopyingWeight implements LinearWeight {
        final NDArray stored;

        CopyingWeight(NDArray stored) {
            this.stored = stored;
        }

        @Override
        public NDArray materialize(NDManager scope) {
            NDArray copy = stored.duplicate();
            copy.attach(scope);
            return copy;
        }

        @Override
        public Shape shape() {
            return stored.getShape();
        }

        @Override
        public void close() {
            stored.close();
        }
    }

    @Test
    void aCustomLinearWeightIsUsedForEveryProjection() throws Exception {
        Path fam = Goldens.families().get(0);
        List<String> asked = new ArrayList<>();
        LinearWeightFactory copying = (name, source, manager, computeType) -> {
            asked.add(name);
            return new CopyingWeight(source.load(name, manager, computeType));
        };
        try (CausalLM dense = ModelLoader.load(fam.resolve("base"), LoadOptions.on(Device.cpu()));
                CausalLM custom = ModelLoader.load(fam.resolve("base"), new LoadOptions(Device.cpu(), null, copying));
                NDManager a = dense.manager().newSubManager();
                NDManager b = custom.manager().newSubManager()) {
            assertArrayEquals(
                    dense.logits(a, row()).toFloatArray(),
                    custom.logits(b, row()).toFloatArray(),
                    0f);
            assertTrue(asked.size() == 7 * dense.config.numLayers, "one factory call per projection: " + asked);
        }
    }

    @Test
    void nf4WeightsMaterializeWithinNf4ErrorOfTheDenseOnes() throws Exception {
        Path fam = Goldens.families().get(0);
        try (CausalLM dense = ModelLoader.load(fam.resolve("base"), LoadOptions.on(Device.cpu()));
                NDManager scope = dense.manager().newSubManager()) {
            LayerWeights w = dense.layer(0).w;
            for (LinearWeight lw : new LinearWeight[] {
                w.linear(Projection.Q_PROJ),
                w.linear(Projection.O_PROJ),
                w.linear(Projection.GATE_PROJ),
                w.linear(Projection.DOWN_PROJ)
            }) {
                NDArray d = lw.materialize(scope);
                Nf4Weight q = Nf4Weight.quantize(d, Nf4Options.defaults(DataType.FLOAT32), scope);
                double rel = Goldens.relativeDiff(q.materialize(scope).toFloatArray(), d.toFloatArray());
                // the widest NF4 gap is 1.0 - 0.723 of a block's absmax, so rounding errs by at most ~0.14 of it
                assertTrue(rel > 0 && rel < 0.15, "NF4 weight rel diff " + rel);
            }
        }
    }
}
