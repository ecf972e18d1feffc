package dev.finetune.trainer.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * One console line redrawn in place: steps done of total, a bar, the logged loss, learning rate and gradient norm
 * (as transformers' Trainer logs them at logging_steps) and tokens/s, and an ETA from
 * the average step time since this run started (resumed steps are not counted as fast ones). Without a
 * terminal (logs, notebooks) a full line is printed per update instead of carriage-return redraws.
 */
public final class ProgressBar {

    private static final int WIDTH = 30;
    private final PrintStream out;
    private final long totalSteps;
    private final long firstStep;
    private final long startNanos;
    private final boolean redraw;

    public ProgressBar(PrintStream out, long firstStep, long totalSteps, boolean redraw) {
        this.out = out;
        this.firstStep = firstStep;
        this.totalSteps = totalSteps;
        this.startNanos = System.nanoTime();
        this.redraw = redraw;
    }

    /** Redraws after {@code step} completed optimizer steps. */
    public void update(long step, double loss, double learningRate, double gradNorm, double tokensPerSecond) {
        out.print(render(step, loss, learningRate, gradNorm, tokensPerSecond, (System.nanoTime() - startNanos) / 1e9));
        out.print(redraw ? "\r" : System.lineSeparator());
        out.flush();
    }

    /** Ends the line. */
    public void finish() {
        if (redraw) {
            out.println();
        }
    }

    /** The text of the line, for {@code elapsedSeconds} since this run's first step. */
    String render(
            long step,
            double loss,
            double learningRate,
            double gradNorm,
            double tokensPerSecond,
            double elapsedSeconds) {
        double frac = totalSteps > 0 ? Math.min(1.0, (double) step / totalSteps) : 0;
        int filled = (int) Math.round(frac * WIDTH);
        StringBuilder bar = new StringBuilder();
        for (int i = 0; i < WIDTH; i++) {
            bar.append(i < filled ? '=' : (i == filled ? '>' : ' '));
        }
        long done = step - firstStep;
        String eta = done > 0 ? hms(elapsedSeconds / done * (totalSteps - step)) : "--:--:--";
        return String.format(
                Locale.ROOT,
                "step %d/%d [%s] %3.0f%% loss %.4f lr %.3g grad_norm %.3g %.0f tok/s elapsed %s ETA %s",
                step,
                totalSteps,
                bar,
                frac * 100,
                loss,
                learningRate,
                gradNorm,
                tokensPerSecond,
                hms(elapsedSeconds),
                eta);
    }

    static String hms(double seconds) {
        long s = Math.max(0, Math.round(seconds));
        return String.format(Locale.ROOT, "%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}
