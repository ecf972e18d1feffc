package dev.finetune.trainer.model;

import ai.djl.ndarray.NDArray;

/**
 * Watches the phases of a step from outside (the benchmark's per-phase timer is one): the model and the
 * optimizer step call {@link #begin} around each phase and {@link Span#end} after it. {@link #NONE}, the
 * default, does nothing. Spans may nest.
 */
public interface PhaseObserver {

    /** The phases of a training step or a decoding call; {@code key} is the name a report uses. */
    enum Phase {
        DEQUANTIZE("dequantize"),
        ATTENTION("attention"),
        PROJECTIONS("projections"),
        LOSS("loss"),
        OPTIMIZER("optimizer"),
        ALL_REDUCE("all_reduce"),
        BACKWARD("backward"),
        OTHER("other");

        public final String key;

        Phase(String key) {
            this.key = key;
        }
    }

    /** A running phase; end it exactly once. */
    interface Span {
        /** The phase is over as far as the host knows (the device may still be working on it). */
        void end();

        /** The phase is over once {@code result} is computed; an observer may wait for the device to compute it. */
        void end(NDArray result);
    }

    /** Starts {@code phase}. */
    Span begin(Phase phase);

    /**
     * Whether {@link Span#end(NDArray)} looks at its argument now: callers pass null otherwise, so an unobserved
     * step does no work (such as fetching a gradient) for the observer.
     */
    boolean usesResults();

    /** Observes nothing. */
    PhaseObserver NONE = new PhaseObserver() {
        private final Span none = new Span() {
            @Override
            public void end() {}

            @Override
            public void end(NDArray result) {}
        };

        @Override
        public Span begin(Phase phase) {
            return none;
        }

        @Override
        public boolean usesResults() {
            return false;
        }
    };
}
