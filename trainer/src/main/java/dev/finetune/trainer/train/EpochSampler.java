package dev.finetune.trainer.train;

import java.util.Random;

/**
 * Which shard rows each rank reads for each micro-batch: a seeded permutation of all rows per epoch
 * (java.util.Random, specified bit for bit, so every JVM and every rank computes the same order), cut into
 * global micro-batches of {@code world × batch} rows; rank r takes rows [r·batch, (r+1)·batch) of each. So
 * "2 ranks × b rows = 1 rank × 2b rows" sees the same rows per step, and a resumed run (epoch, step) reads
 * exactly what an uninterrupted one would. The tail of an epoch that does not fill a whole optimizer step is
 * left out of that epoch; the next epoch's shuffle puts other rows at the tail.
 */
public final class EpochSampler {

    private final long rows;
    private final int world;
    private final int rank;
    private final int batch;
    private final int accumulation;
    private final long seed;
    private int cachedEpoch = -1;
    private long[] cachedOrder;

    public EpochSampler(long rows, int world, int rank, int batch, int accumulation, long seed) {
        if (rank < 0 || rank >= world) {
            throw new IllegalArgumentException("rank " + rank + " outside world of " + world);
        }
        if (rows > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(rows + " training rows; this sampler holds one epoch's order in "
                    + "memory and supports up to 2^31-1 rows");
        }
        long perStep = (long) world * batch * accumulation;
        if (rows < perStep) {
            throw new IllegalArgumentException("the training split has " + rows + " rows but one optimizer step "
                    + "needs world_size × batch_size × gradient_accumulation_steps = " + world + " × " + batch + " × "
                    + accumulation + " = " + perStep + "; lower batch_size or gradient_accumulation_steps");
        }
        this.rows = rows;
        this.world = world;
        this.rank = rank;
        this.batch = batch;
        this.accumulation = accumulation;
        this.seed = seed;
    }

    /** Optimizer steps in one epoch. */
    public long stepsPerEpoch() {
        return rows / ((long) world * batch * accumulation);
    }

    /** Rows of the training split no step of an epoch reads. */
    public long rowsLeftOutPerEpoch() {
        return rows - stepsPerEpoch() * world * batch * accumulation;
    }

    /** The row indices of this rank's micro-batch {@code micro} of optimizer step {@code step} in {@code epoch}. */
    public long[] microBatch(int epoch, long step, int micro) {
        long[] order = order(epoch);
        long start = ((step * accumulation + micro) * world + rank) * batch;
        long[] out = new long[batch];
        for (int i = 0; i < batch; i++) {
            out[i] = order[Math.toIntExact(start + i)];
        }
        return out;
    }

    /** The whole permutation of an epoch (Fisher–Yates with Random(seed ⊕ epoch)). */
    long[] order(int epoch) {
        if (epoch != cachedEpoch) {
            long[] order = new long[(int) rows];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Random random = new Random(seed * 0x9E3779B97F4A7C15L + epoch);
            for (int i = order.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                long t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            cachedOrder = order;
            cachedEpoch = epoch;
        }
        return cachedOrder;
    }
}
