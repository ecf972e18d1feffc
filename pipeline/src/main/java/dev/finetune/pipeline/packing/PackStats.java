package dev.finetune.pipeline.packing;

import java.io.Serializable;

/** Counts over packed rows; additive, so windows and splits sum. */
public final class PackStats implements Serializable {
    private static final long serialVersionUID = 1L;

    public long documents;
    public long rows;
    /** Real tokens (not padding). */
    public long tokens;

    public long lossTokens;
    public long paddingTokens;
    public long truncatedDocuments;
    public long splitDocuments;

    public PackStats add(PackStats o) {
        documents += o.documents;
        rows += o.rows;
        tokens += o.tokens;
        lossTokens += o.lossTokens;
        paddingTokens += o.paddingTokens;
        truncatedDocuments += o.truncatedDocuments;
        splitDocuments += o.splitDocuments;
        return this;
    }

    /** Real tokens / all row tokens; 0 when there are no rows. */
    public double efficiency() {
        long all = tokens + paddingTokens;
        return all == 0 ? 0 : (double) tokens / all;
    }
}
