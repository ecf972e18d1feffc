package dev.finetune.trainer.bench;

import ai.djl.ndarray.NDArray;
import dev.finetune.trainer.model.PhaseObserver;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.Map;

/**
 * Opt-in wall-clock time per phase of a training step, for the benchmark's {@code phases_ms}: a
 * {@link PhaseObserver} handed to the model ({@code CausalLM.setPhaseObserver}) and the optimizer step
 * ({@code OptimizerStep.setPhaseObserver}), which call it around their phases. Off until {@link #enable}: then
 * {@link #begin} returns a shared no-op span and costs one volatile read.
 *
 * <p>GPU kernels run asynchronously, so without a sync the time lands in whichever later phase first waits.
 * With {@code enable(true)} each {@code end(array)} copies one element of the array to the host, which waits
 * for the device; that slows the step a little but makes the phases add up.
 *
 * <p>Spans may nest; time is exclusive (a nested phase's time is not also counted in the outer one).
 * One timer observes one thread's steps.
 */
public final class PhaseTimer implements PhaseObserver {

    private static final Span NO_OP = PhaseObserver.NONE.begin(Phase.OTHER);

    private volatile boolean enabled;
    private boolean sync;
    private final Map<Phase, Long> nanos = new EnumMap<>(Phase.class);
    private final Deque<Running> stack = new ArrayDeque<>();

    /** Starts collecting; {@code syncDevice} makes {@link Span#end(NDArray)} wait for the device. */
    public synchronized void enable(boolean syncDevice) {
        enabled = true;
        sync = syncDevice;
        reset();
    }

    /** Stops collecting; later spans are no-ops. */
    public synchronized void disable() {
        enabled = false;
        stack.clear();
    }

    public boolean isEnabled() {
        return enabled;
    }

    @Override
    public boolean usesResults() {
        return enabled;
    }

    /** Forgets the totals so far (e.g. after warm-up steps). */
    public synchronized void reset() {
        nanos.clear();
        stack.clear();
    }

    /** Starts a phase; the phase around it (if any) pauses until this one ends. */
    @Override
    public Span begin(Phase phase) {
        if (!enabled) {
            return NO_OP;
        }
        synchronized (this) {
            long now = System.nanoTime();
            Running outer = stack.peek();
            if (outer != null) {
                outer.pause(now);
            }
            Running running = new Running(phase, now);
            stack.push(running);
            return running;
        }
    }

    /** Milliseconds per phase since the last reset, every phase present (0 when never entered). */
    public synchronized Map<Phase, Double> totalsMillis() {
        Map<Phase, Double> out = new EnumMap<>(Phase.class);
        for (Phase p : Phase.values()) {
            out.put(p, nanos.getOrDefault(p, 0L) / 1e6);
        }
        return out;
    }

    private void waitFor(NDArray array) {
        if (array != null && sync && array.size() > 0) {
            // copying one element to the host blocks until the kernels producing it have run
            try (NDArray one = array.flatten().get(0)) {
                one.toByteArray();
            }
        }
    }

    private final class Running implements Span {
        private final Phase phase;
        private long since;
        private boolean ended;

        Running(Phase phase, long now) {
            this.phase = phase;
            this.since = now;
        }

        void pause(long now) {
            nanos.merge(phase, now - since, Long::sum);
            since = now;
        }

        @Override
        public void end() {
            end(null);
        }

        @Override
        public void end(NDArray result) {
            if (!enabled) {
                return;
            }
            waitFor(result);
            synchronized (PhaseTimer.this) {
                if (ended) {
                    throw new IllegalStateException("phase " + phase.key + " ended twice");
                }
                ended = true;
                long now = System.nanoTime();
                pause(now);
                stack.remove(this);
                Running outer = stack.peek();
                if (outer != null) {
                    outer.since = now;
                }
            }
        }
    }
}
