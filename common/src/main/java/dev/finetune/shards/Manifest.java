package dev.finetune.shards;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** manifest.json of a prepared output (SHARD-FORMAT.md); field names are the JSON keys. */
@JsonInclude(JsonInclude.Include.ALWAYS)
public final class Manifest {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public String format = ShardFormat.FORMAT_NAME;

    @JsonProperty("format_version")
    public int formatVersion = ShardFormat.VERSION;

    @JsonProperty("max_seq_length")
    public int maxSeqLength;

    public Tokenizer tokenizer = new Tokenizer();
    public Template template = new Template();
    public boolean packing;
    public Map<String, Split> splits = new LinkedHashMap<>();
    public Map<String, Object> source = new LinkedHashMap<>();
    public String command;
    public Map<String, Object> config = new LinkedHashMap<>();
    public String created;

    /** The tokenizer the ids belong to; the trainer refuses a model whose tokenizer differs. */
    public static final class Tokenizer {
        /** sha256 of tokenizer.json. */
        public String fingerprint;

        @JsonProperty("vocab_size")
        public int vocabSize;

        @JsonProperty("eos_token")
        public String eosToken;

        @JsonProperty("eos_token_id")
        public int eosTokenId;

        @JsonProperty("pad_token_id")
        public int padTokenId;
    }

    /** How records became text: {@code text} (plain) or {@code chat} (a chat template, hashed). */
    public static final class Template {
        public String kind;
        public String sha256;
    }

    /** Counts and shards of one split (train, validation). */
    public static final class Split {
        public long documents;
        public long rows;
        /** Real (non-padding) tokens. */
        public long tokens;

        @JsonProperty("loss_tokens")
        public long lossTokens;

        @JsonProperty("padding_tokens")
        public long paddingTokens;

        @JsonProperty("truncated_documents")
        public long truncatedDocuments;

        @JsonProperty("split_documents")
        public long splitDocuments;
        /** tokens / (rows × max_seq_length). */
        @JsonProperty("packing_efficiency")
        public double packingEfficiency;

        public List<Shard> shards = new ArrayList<>();
    }

    /** One shard file, path relative to the output directory. */
    public static final class Shard {
        public String file;
        public long rows;
        public long bytes;
        public String sha256;
    }

    public void write(Path path, Configuration conf) throws IOException {
        FileSystem fs = ShardFiles.fileSystem(path, conf);
        try (OutputStream out = fs.create(path, true)) {
            JSON.writeValue(out, this);
        }
    }

    public String toJson() throws IOException {
        return JSON.writeValueAsString(this);
    }

    public static Manifest read(Path path, Configuration conf) throws IOException {
        FileSystem fs = ShardFiles.fileSystem(path, conf);
        Manifest m;
        try (InputStream in = fs.open(path)) {
            m = JSON.readValue(in, Manifest.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ShardFormatException(path + ": not a valid manifest.json (" + e.getOriginalMessage() + ")");
        }
        if (!ShardFormat.FORMAT_NAME.equals(m.format)) {
            throw new ShardFormatException(
                    path + ": format \"" + m.format + "\", expected \"" + ShardFormat.FORMAT_NAME + "\"");
        }
        if (m.formatVersion != ShardFormat.VERSION) {
            throw new ShardFormatException(path + ": format_version " + m.formatVersion + ", this reader supports "
                    + ShardFormat.VERSION + "; re-run `prepare` or upgrade");
        }
        return m;
    }

    /** Lower-case hexadecimal of {@code bytes}. */
    public static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            sb.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return sb.toString();
    }
}
