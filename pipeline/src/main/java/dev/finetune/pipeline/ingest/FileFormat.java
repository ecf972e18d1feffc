package dev.finetune.pipeline.ingest;

import java.util.Locale;

/** Input file formats and the Spark reader each maps to. */
public enum FileFormat {
    PARQUET("parquet"),
    /** One JSON object per line (Spark's json reader, the default mode). */
    JSONL("json"),
    /** A JSON array or a single object per file (Spark's json reader, multiLine). */
    JSON("json");

    public final String sparkFormat;

    FileFormat(String sparkFormat) {
        this.sparkFormat = sparkFormat;
    }

    /** The format of a file by its extension, or null when the extension is not one we read. */
    public static FileFormat ofFile(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".parquet")) {
            return PARQUET;
        }
        if (n.endsWith(".jsonl") || n.endsWith(".ndjson")) {
            return JSONL;
        }
        if (n.endsWith(".json")) {
            return JSON;
        }
        return null;
    }

    public static FileFormat parse(String s) {
        for (FileFormat f : values()) {
            if (f.name().equalsIgnoreCase(s)) {
                return f;
            }
        }
        throw new IllegalArgumentException("format: \"" + s + "\" is not one of auto, parquet, jsonl, json");
    }
}
