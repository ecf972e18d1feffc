package dev.finetune.trainer.train;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * How the ranks of a data-parallel run agree: the trainer calls these once per optimizer step, in the same
 * order on every rank. A single process uses {@link #local()}; the TCP ring (package {@code collective})
 * implements the multi-rank version.
 *
 * <p>CAUTION: every rank must call the same methods with arrays of the same shapes in the same order,
 * or the ring deadlocks.
 */
public interface GradientSync extends AutoCloseable {

    /** This process's rank, 0 ≤ rank &lt; {@link #worldSize()}. */
    int rank();

    /** Number of ranks. */
    int worldSize();

    /** Replaces each array, in place, by its element-wise sum over all ranks (FP32 arrays). */
    void allReduceSum(List<NDArray> arrays);

    /** Element-wise sum over all ranks of a few scalars (target counts, loss sums). */
    double[] allReduceSum(double[] values);

    /** Returns when every rank has called it. */
    void barrier();

    @Override
    default void close() {}

    /** The single-process implementation: every collective is the identity. */
    static GradientSync local() {
        return LocalSync.INSTANCE;
    }

    /** Rank 0 of a world of one. */
    final class LocalSync implements GradientSync {
        static final LocalSync INSTANCE = new LocalSync();

        private LocalSync() {}

        @Override
        public int rank() {
            return 0;
        }

        @Override
        public int worldSize() {
            return 1;
        }

        @Override
        public void allReduceSum(List<NDArray> arrays) {}

        @Override
        public double[] allReduceSum(double[] values) {
            return values.clone();
        }

        @Override
        public void barrier() {}
    }
}
