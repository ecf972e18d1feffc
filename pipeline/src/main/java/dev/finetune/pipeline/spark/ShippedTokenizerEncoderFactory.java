package dev.finetune.pipeline.spark;

import dev.finetune.pipeline.ingest.TokenizerEncoderFactory;
import dev.finetune.pipeline.records.RecordOptions;
import dev.finetune.tokenize.TokenizerFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkFiles;

/**
 * The tokenizer encoder factory for a cluster: the driver's tokenizer files travel with the job
 * (SparkContext.addFile), and each executor opens its own copies in its SparkFiles folder, since the driver's local
 * folder does not exist on the workers.
 */
public final class ShippedTokenizerEncoderFactory extends TokenizerEncoderFactory {
    private static final long serialVersionUID = 1L;

    private ShippedTokenizerEncoderFactory(String tokenizerDir, RecordOptions records) {
        super(tokenizerDir, records);
    }

    /** Adds each file of the driver's {@code tokenizerDir} that the encoder reads to {@code spark}'s job. */
    public static ShippedTokenizerEncoderFactory shipWith(
            SparkContext spark, String tokenizerDir, RecordOptions records) {
        Path dir = Paths.get(tokenizerDir);
        for (String name : FILES) {
            Path f = dir.resolve(name);
            if (Files.isRegularFile(f)) {
                spark.addFile(f.toAbsolutePath().toUri().toString());
            }
        }
        return new ShippedTokenizerEncoderFactory(tokenizerDir, records);
    }

    @Override
    protected Path localDir() {
        return Paths.get(SparkFiles.get(TokenizerFiles.TOKENIZER_JSON)).getParent();
    }
}
