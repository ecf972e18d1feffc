package dev.finetune.pipeline.packing;

/** What happens to a document longer than max_seq_length. */
public enum Overflow {
    /**
     * Cut into pieces of max_seq_length tokens (the last one shorter). Each continuation piece starts a new
     * segment, so its first token is not a target: it has no context in its row.
     */
    SPLIT,
    /** Keep the first max_seq_length tokens and drop the rest (its EOS included). */
    TRUNCATE;

    public static Overflow parse(String s) {
        for (Overflow o : values()) {
            if (o.name().equalsIgnoreCase(s)) {
                return o;
            }
        }
        throw new IllegalArgumentException("overflow: \"" + s + "\" is not one of split, truncate");
    }
}
