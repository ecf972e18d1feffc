package dev.finetune.trainer.generate;

/** Receives tokens as they are generated (streaming), one call per token per prompt. */
public interface TokenListener {
    void onToken(int prompt, long tokenId);

    /** Called once per prompt when it stops (EOS, stop string, or max_new_tokens). */
    default void onFinished(int prompt) {}

    TokenListener NONE = (prompt, id) -> {};
}
