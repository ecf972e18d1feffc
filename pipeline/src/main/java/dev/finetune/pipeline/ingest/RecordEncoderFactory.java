package dev.finetune.pipeline.ingest;

import dev.finetune.pipeline.records.RecordEncoder;
import dev.finetune.shards.Manifest;
import java.io.Serializable;
import java.util.List;

/**
 * Builds the {@link RecordEncoder} on each executor (it holds a native tokenizer, so it is created there, not
 * shipped) and describes, on the driver, what goes into the manifest. Serializable: Spark ships it to tasks.
 */
public interface RecordEncoderFactory extends Serializable {

    /** Dataset columns the encoder reads; the job fails early, naming them, when one is missing. */
    List<String> columns();

    RecordEncoder create();

    /**
     * True when every column is read as a string (plain text, instruction/output): JSON sources are then read
     * with an explicit string schema, which spares Spark's schema-inference pass and parsing unused fields.
     */
    default boolean onlyStringColumns() {
        return false;
    }

    /** A string that is equal for factories that build equal encoders (the per-JVM cache key). */
    String cacheKey();

    Manifest.Tokenizer tokenizerInfo();

    Manifest.Template templateInfo();
}
