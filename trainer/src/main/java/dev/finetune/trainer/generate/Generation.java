package dev.finetune.trainer.generate;

/** One prompt's continuation: the prompt's token ids, the new ones (without the EOS that ended them) and their text. */
public final class Generation {
    public final long[] promptIds;
    public final long[] ids;
    /** The new tokens decoded, or null when the model folder has no tokenizer. */
    public final String text;

    public Generation(long[] promptIds, long[] ids, String text) {
        this.promptIds = promptIds;
        this.ids = ids;
        this.text = text;
    }

    /** The new ids as {@code i,j,k}. */
    public String idsString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            sb.append(i > 0 ? "," : "").append(ids[i]);
        }
        return sb.toString();
    }
}
