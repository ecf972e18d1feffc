package dev.finetune.trainer.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How a step's rows are cut into micro-batches, chosen to fit the device (transformers' auto_find_batch_size,
 * with the tokens per optimizer step kept): the rows a rank trains per step (batch_size ×
 * gradient_accumulation_steps) stay the same, only how many go through the model at once changes. It starts
 * with all of them in one micro-batch and, on an out-of-memory error, moves to the next smaller divisor of the
 * step's rows; {@link OptimizerStep} then reruns the step from zeroed gradients. The loss and the gradients are
 * sums over the step's tokens divided by the step's target count, so any split gives the same update up to
 * floating-point rounding (with LoRA dropout the masks differ, since each micro-batch draws its own).
 */
public final class MicroBatchSplit {

    private final int rowsPerStep;
    private int rows;

    private MicroBatchSplit(int rowsPerStep, int rows) {
        this.rowsPerStep = rowsPerStep;
        this.rows = rows;
    }

    /** Starts from the largest micro-batch: all {@code rowsPerStep} rows at once. */
    public static MicroBatchSplit largestFirst(int rowsPerStep) {
        if (rowsPerStep < 1) {
            throw new IllegalArgumentException("rows per step = " + rowsPerStep + "; must be >= 1");
        }
        return new MicroBatchSplit(rowsPerStep, rowsPerStep);
    }

    /** Rows per micro-batch now. */
    public int rows() {
        return rows;
    }

    /** Micro-batches per step now. */
    public int microBatches() {
        return rowsPerStep / rows;
    }

    /**
     * The step's rows (the configured micro-batches, in order) as micro-batches of {@link #rows()} rows each, in the
     * same row order; the given list itself when it is cut that way already.
     */
    public List<MicroBatch> regroup(List<MicroBatch> step) {
        int total = 0;
        boolean asIs = true;
        for (MicroBatch b : step) {
            total += b.batch;
            asIs &= b.batch == rows;
        }
        if (total != rowsPerStep) {
            throw new IllegalArgumentException(
                    "a step of " + total + " rows given to a split of " + rowsPerStep + " rows per step");
        }
        if (asIs) {
            return step;
        }
        int t = step.get(0).length;
        List<MicroBatch> out = new ArrayList<>(rowsPerStep / rows);
        int[] ids = null;
        int[] seg = null;
        byte[] tgt = null;
        int filled = 0;
        for (MicroBatch b : step) {
            for (int r = 0; r < b.batch; r++) {
                if (ids == null) {
                    ids = new int[rows * t];
                    seg = new int[rows * t];
                    tgt = new byte[rows * t];
                }
                System.arraycopy(b.ids, r * t, ids, filled * t, t);
                System.arraycopy(b.segments, r * t, seg, filled * t, t);
                System.arraycopy(b.targets, r * t, tgt, filled * t, t);
                if (++filled == rows) {
                    out.add(new MicroBatch(rows, t, ids, seg, tgt));
                    ids = null;
                    filled = 0;
                }
            }
        }
        return out;
    }

    /** After an out-of-memory error: the next smaller divisor of the step's rows; false when at one row already. */
    public boolean shrink() {
        for (int r = rows - 1; r >= 1; r--) {
            if (rowsPerStep % r == 0) {
                rows = r;
                return true;
            }
        }
        return false;
    }

    /** Whether {@code e} (or a cause) says the device ran out of memory (CUDA's or the CPU allocator's message). */
    public static boolean isOutOfMemory(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
            if (m.contains("out of memory") || m.contains("not enough memory")) {
                return true;
            }
        }
        return false;
    }
}
