package dev.finetune.pipeline.records;

import java.util.Map;

/**
 * Turns one dataset record into a {@link TokenizedDocument}: picks the configured columns, renders the chat
 * template for conversations, tokenizes, and marks the targets. One instance per executor JVM (it holds a
 * native tokenizer); not thread-safe unless the implementation says so.
 */
public interface RecordEncoder extends AutoCloseable {

    /**
     * @param record column name → value: String for text columns, a List of Maps ({role, content}) for a
     *     messages column, as Spark's Row gives them converted to Java collections
     * @throws IllegalArgumentException naming the column when a configured column is missing or has the
     *     wrong type
     */
    TokenizedDocument encode(Map<String, Object> record);

    @Override
    void close();
}
