package dev.finetune.trainer.generate;

import dev.finetune.tokenize.TextTokenizer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints one prompt's generated text as it grows. Tokens do not map one-to-one onto characters (a Japanese
 * character or an emoji may span several byte-level tokens), so the whole reply is decoded again at each
 * token and only a new, complete suffix is printed: nothing that ends in the replacement character.
 */
public final class ConsoleStreamer implements TokenListener {
    private final TokenDecoder decoder;
    private final PrintStream out;
    private final List<Long> ids = new ArrayList<>();
    private String printed = "";

    public ConsoleStreamer(TokenDecoder decoder, PrintStream out) {
        this.decoder = decoder;
        this.out = out;
    }

    /** A decoder over a tokenizer (the generator works in long ids, the tokenizer in ints). */
    public static TokenDecoder decoder(TextTokenizer tokenizer) {
        return ids -> {
            int[] ints = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                ints[i] = Math.toIntExact(ids[i]);
            }
            return tokenizer.decode(ints);
        };
    }

    @Override
    public void onToken(int prompt, long tokenId) {
        ids.add(tokenId);
        String text = decoder.decode(ids.stream().mapToLong(Long::longValue).toArray());
        if (text.startsWith(printed) && !text.endsWith("\uFFFD")) {
            out.print(text.substring(printed.length()));
            out.flush();
            printed = text;
        }
    }

    @Override
    public void onFinished(int prompt) {
        out.println();
    }
}
