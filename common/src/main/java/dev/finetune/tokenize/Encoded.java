package dev.finetune.tokenize;

/**
 * Token ids of a text with each token's character span in that text ({@code [starts[i], ends[i])}, Java
 * UTF-16 indices). Byte-level BPE may split one character over several tokens: those tokens share its span.
 */
public final class Encoded {
    public final int[] ids;
    public final int[] starts;
    public final int[] ends;

    Encoded(int[] ids, int[] starts, int[] ends) {
        this.ids = ids;
        this.starts = starts;
        this.ends = ends;
    }

    public int length() {
        return ids.length;
    }
}
