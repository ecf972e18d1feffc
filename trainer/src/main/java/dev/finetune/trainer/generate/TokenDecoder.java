package dev.finetune.trainer.generate;

/** Turns generated ids into text, for stop strings and printing (a tokenizer's decode). */
public interface TokenDecoder {
    String decode(long[] ids);
}
