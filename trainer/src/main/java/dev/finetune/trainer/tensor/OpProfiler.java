package dev.finetune.trainer.tensor;

import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Path;

/** PyTorch's (legacy) profiler as DJL exposes it: the ATen ops a piece of work dispatches, as a trace file. */
public final class OpProfiler {
    private OpProfiler() {}

    /**
     * Runs {@code work} with the profiler recording CPU-side op events (on any device) and writes them to
     * {@code trace} as Chrome trace JSON (name, ph, ts, dur, tid per op), also when the work fails.
     */
    public static void record(Path trace, Runnable work) {
        // finetune.profile.cuda: the device's kernels too, where the JNI library records them (Kineto)
        JniUtils.startProfile(Boolean.getBoolean("finetune.profile.cuda"), false, false);
        try {
            work.run();
        } finally {
            JniUtils.stopProfile(trace.toString());
        }
    }
}
