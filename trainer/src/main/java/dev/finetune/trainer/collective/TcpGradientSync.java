package dev.finetune.trainer.collective;

import ai.djl.ndarray.NDArray;
import dev.finetune.trainer.train.GradientSync;
import java.util.List;

/**
 * The trainer's {@link GradientSync} over the TCP ring. Gradients travel as FP32 (or FP16 with --fp16-wire);
 * the few scalars (loss sums, target counts) travel as doubles through an all-gather and are added in rank
 * order, so every rank gets the same double (a float could not carry target counts above 2^24 exactly).
 */
public final class TcpGradientSync implements GradientSync {

    private final TcpCollective collective;

    public TcpGradientSync(TcpCollective collective) {
        this.collective = collective;
    }

    /** Joins the ring described by the collective's command-line flags (see {@link CollectiveOptions#fromArgs}). */
    public static TcpGradientSync connect(String[] args) {
        return new TcpGradientSync(TcpCollective.connect(CollectiveOptions.fromArgs(args)));
    }

    @Override
    public int rank() {
        return collective.rank();
    }

    @Override
    public int worldSize() {
        return collective.worldSize();
    }

    @Override
    public void allReduceSum(List<NDArray> arrays) {
        collective.allReduceSum(arrays);
    }

    @Override
    public double[] allReduceSum(double[] values) {
        // sums of doubles: all-gather them and add in rank order, so every rank gets the identical double
        byte[] mine = new byte[8 * values.length];
        java.nio.ByteBuffer.wrap(mine).asDoubleBuffer().put(values);
        byte[][] all = collective.allGather(mine);
        double[] sum = new double[values.length];
        for (byte[] b : all) {
            if (b.length != mine.length) {
                throw new CollectiveException(
                        -1,
                        "allReduceSum(double[]): ranks passed " + b.length / 8 + " and " + values.length
                                + " values: every rank must pass the same number");
            }
            java.nio.DoubleBuffer d = java.nio.ByteBuffer.wrap(b).asDoubleBuffer();
            for (int i = 0; i < sum.length; i++) {
                sum[i] += d.get(i);
            }
        }
        return sum;
    }

    @Override
    public void barrier() {
        collective.barrier();
    }

    @Override
    public void close() {
        collective.close();
    }
}
