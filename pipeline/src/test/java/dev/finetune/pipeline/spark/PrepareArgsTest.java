package dev.finetune.pipeline.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.pipeline.records.RecordOptions;
import org.junit.jupiter.api.Test;

class PrepareArgsTest {
    private static final String[] REQUIRED = {"--source", "data/*.jsonl", "--output", "out", "--tokenizer", "tok"};

    private static String[] with(String... more) {
        String[] all = java.util.Arrays.copyOf(REQUIRED, REQUIRED.length + more.length);
        System.arraycopy(more, 0, all, REQUIRED.length, more.length);
        return all;
    }

    @Test
    void kebabCaseFlagsSetTheSnakeCaseOptions() {
        PrepareOptions o = PrepareArgs.parse(with(
                        "--max-seq-length=512",
                        "--no-packing",
                        "--holdout-fraction",
                        "0.05",
                        "--messages-column",
                        "conversations",
                        "--long-documents",
                        "truncate",
                        "--overwrite"))
                .validate();
        assertEquals(512, o.maxSeqLength);
        assertFalse(o.packing);
        assertEquals(0.05, o.holdoutFraction);
        assertTrue(o.overwrite);
        RecordOptions r = o.records();
        assertEquals("conversations", r.messagesColumn);
        assertNull(r.textColumn, "a conversation column replaces the default text column");
        assertEquals(512, o.toMap().get("max_seq_length"));
        assertEquals("truncate", o.toMap().get("long_documents"));
    }

    @Test
    void badValuesNameTheOptionAndTheAllowedRange() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> PrepareArgs.parse(with("--max-seq-length", "1")).validate());
        assertEquals("max_seq_length: 1, must be in [2, 1048576]", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> PrepareArgs.parse(with("--long-documents", "drop")).validate());
        assertTrue(e.getMessage().contains("\"drop\" is not one of split, truncate"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> PrepareArgs.parse(with("--holdout-fraction", "0.1", "--validation-source", "v.jsonl"))
                        .validate());
        assertTrue(e.getMessage().contains("at most one of"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> PrepareArgs.parse(new String[] {"--output", "o"}).validate());
        assertTrue(e.getMessage().startsWith("source: missing"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PrepareArgs.parse(with("--colour", "red")));
        assertTrue(e.getMessage().startsWith("unknown flag --colour"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> PrepareArgs.parse(with("--source", "hf://models/x/y")).validate());
        assertTrue(e.getMessage().contains("only Hub datasets"), e.getMessage());
    }

    @Test
    void badFlagsExitWithStatusTwoBeforeSparkStarts() {
        assertEquals(2, PrepareMain.run(new String[] {"--max-seq-length", "x"}, o -> null));
    }
}
