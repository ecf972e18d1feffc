package dev.finetune.trainer.bench;

import ai.djl.ndarray.NDArray;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.Map;

/**
 * Opt-in wall-clock time per phase of a training step, for the benchmark's {@code phases_ms}. Off by default:
 * then {@link #begin} returns a shared no-op span and costs one volatile read.
 *
 * <p>Use around a phase in the model or trainer code:
 * <pre>
 *   PhaseTimer.Span span = PhaseTimer.begin(PhaseTimer.Phase.ATTENTION);
 *   NDArray out = ...;                       // the phase's work
 *   span.end(out);                           // syncs on out when syncing is on, then stops the clock
 * </pre>
 * GPU kernels run asynchronously, so without a sync the time lands in whichever later phase first waits.
 * With {@code enable(true)} each {@code end(array)} copies one element of the array to the host, which waits
 * for the device; that slows the step a little but makes the phases add up.
 *
 * <p>Spans may nest; time is exclusive (a nested phase's time is not also counted in the outer one).
 * This is one process-wide timer, like DJL's one gradient collector: one training task per JVM, one thread.
 */
public final class PhaseTimer {

    /** The phases the benchmark reports; names are the JSON keys. */
    public enum Phase {
        DEQUANTIZE("dequantize"), ATTENTION("attention"), PROJECTIONS("projections"), LOSS("loss"),
        OPTIMIZER("optimizer"), ALL_REDUCE("all_reduce"), BACKWARD("backward"), OTHER("other");

        public final String key;

        Phase(String key) {
            this.key = key;
        }
    }

    /** A running phase; {@link #end} it exactly once. */
    public interface Span {
        /** Stops the clock without waiting for the device. */
        void end();

        /** Waits for {@code result} to be computed (when syncing is on), then stops the clock. */
        void end(NDArray result);
    }

    private static final Span NO_OP = new Span() {
        @Override
        public void end() {
        }

        @Override
        public void end(NDArray result) {
        }
    };

    private static volatile boolean enabled;
    private static boolean sync;
    private static final Map<Phase, Long> NANOS = new EnumMap<>(Phase.class);
    private static final Deque<Running> STACK = new ArrayDeque<>();

    private PhaseTimer() {
    }

    /** Starts collecting; {@code syncDevice} makes {@link Span#end(NDArray)} wait for the device. */
    public static synchronized void enable(boolean syncDevice) {
        enabled = true;
        sync = syncDevice;
        reset();
    }

    /** Stops collecting; later spans are no-ops. */
    public static synchronized void disable() {
        enabled = false;
        STACK.clear();
    }

    public static boolean isEnabled() {
        return enabled;
    }

    /** Forgets the totals so far (e.g. after warm-up steps). */
    public static synchronized void reset() {
        NANOS.clear();
        STACK.clear();
    }

    /** Starts a phase; the phase around it (if any) pauses until this one ends. */
    public static Span begin(Phase phase) {
        if (!enabled) {
            return NO_OP;
        }
        synchronized (PhaseTimer.class) {
            long now = System.nanoTime();
            Running outer = STACK.peek();
            if (outer != null) {
                outer.pause(now);
            }
            Running running = new Running(phase, now);
            STACK.push(running);
            return running;
        }
    }

    /** Milliseconds per phase since the last reset, every phase present (0 when never entered). */
    public static synchronized Map<Phase, Double> totalsMillis() {
        Map<Phase, Double> out = new EnumMap<>(Phase.class);
        for (Phase p : Phase.values()) {
            out.put(p, NANOS.getOrDefault(p, 0L) / 1e6);
        }
        return out;
    }

    private static void waitFor(NDArray array) {
        if (array != null && sync && array.size() > 0) {
            // copying one element to the host blocks until the kernels producing it have run
            try (NDArray one = array.flatten().get(0)) {
                one.toByteArray();
            }
        }
    }

    private static final class Running implements Span {
        private final Phase phase;
        private long since;
        private boolean ended;

        Running(Phase phase, long now) {
            this.phase = phase;
            this.since = now;
        }

        void pause(long now) {
            NANOS.merge(phase, now - since, Long::sum);
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
            synchronized (PhaseTimer.class) {
                if (ended) {
                    throw new IllegalStateException("phase " + phase.key + " ended twice");
                }
                ended = true;
                long now = System.nanoTime();
                pause(now);
                STACK.remove(this);
                Running outer = STACK.peek();
                if (outer != null) {
                    outer.since = now;
                }
            }
        }
    }
}
