package dev.finetune.trainer.tensor;

import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/**
 * PyTorch's grad mode, set for the length of a call and restored after. The mode is per thread and a new
 * thread starts with it ON (torch's default), while DJL switches it off only on the thread that initialised
 * the engine: so code that must run with or without autograd says so here instead of trusting the thread.
 */
public final class GradMode {
    private GradMode() {}

    /** Whether autograd records ops on this thread now. */
    public static boolean isOn() {
        return JniUtils.isGradMode();
    }

    /** Runs {@code body} with grad mode {@code on}. */
    public static <T> T with(boolean on, Supplier<T> body) {
        boolean before = JniUtils.isGradMode();
        JniUtils.setGradMode(on);
        try {
            return body.get();
        } finally {
            JniUtils.setGradMode(before);
        }
    }

    /**
     * Runs {@code body} without autograd: in-place updates of parameters that require gradients (optimizer
     * steps, restoring a checkpoint) are refused by torch while grad mode is on.
     */
    public static void off(Runnable body) {
        with(false, () -> {
            body.run();
            return null;
        });
    }
}
