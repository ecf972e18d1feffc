package dev.finetune.pipeline.packing;

import java.io.Serializable;

/** How documents become rows. */
public final class PackingOptions implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Tokens per row (max_seq_length). */
    public final int maxSeqLength;
    /** true: several documents per row (best-fit decreasing); false: one document per row, padded. */
    public final boolean packing;

    public final Overflow overflow;
    /** Token id written at padding positions (segment 0, never a target). */
    public final int padTokenId;

    public PackingOptions(int maxSeqLength, boolean packing, Overflow overflow, int padTokenId) {
        if (maxSeqLength < 2) {
            throw new IllegalArgumentException("max_seq_length: " + maxSeqLength + ", must be at least 2");
        }
        if (padTokenId < 0) {
            throw new IllegalArgumentException("pad_token_id: " + padTokenId + ", must be >= 0");
        }
        this.maxSeqLength = maxSeqLength;
        this.packing = packing;
        this.overflow = overflow;
        this.padTokenId = padTokenId;
    }
}
