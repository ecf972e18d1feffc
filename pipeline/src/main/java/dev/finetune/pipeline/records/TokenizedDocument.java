package dev.finetune.pipeline.records;

import java.io.Serializable;
import java.util.Arrays;

/**
 * One document after templating and tokenization: its token ids and, per token, whether it is a target
 * (common/SHARD-FORMAT.md, "The targets contract"): {@code targets[0]} is always 0.
 */
public final class TokenizedDocument implements Serializable {
    private static final long serialVersionUID = 1L;

    public final int[] ids;
    public final byte[] targets;

    public TokenizedDocument(int[] ids, byte[] targets) {
        if (ids.length != targets.length) {
            throw new IllegalArgumentException(
                    "ids and targets differ in length: " + ids.length + " vs " + targets.length);
        }
        this.ids = ids;
        this.targets = targets;
    }

    public int length() {
        return ids.length;
    }

    public int targetCount() {
        int n = 0;
        for (byte t : targets) {
            n += t;
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TokenizedDocument)) {
            return false;
        }
        TokenizedDocument d = (TokenizedDocument) o;
        return Arrays.equals(ids, d.ids) && Arrays.equals(targets, d.targets);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(ids) + Arrays.hashCode(targets);
    }
}
