package dev.finetune.pipeline.ingest;

import dev.finetune.pipeline.records.RecordEncoder;
import dev.finetune.pipeline.records.RecordOptions;
import dev.finetune.pipeline.records.TokenizingRecordEncoder;
import dev.finetune.shards.Manifest;
import dev.finetune.tokenize.TextTokenizer;
import dev.finetune.tokenize.TokenizerFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The production encoder factory: {@link TokenizingRecordEncoder} over the tokenizer in a local directory,
 * shared per executor JVM ({@link TextTokenizer#shared}). In local mode executors read the driver's directory;
 * on a cluster the Spark job's ShippedTokenizerEncoderFactory sends the tokenizer files with the job and executors
 * read their own copies, since the driver's folder does not exist on the workers.
 */
public class TokenizerEncoderFactory implements RecordEncoderFactory {
    private static final long serialVersionUID = 1L;
    /** The files a tokenizer folder may hold that the encoder reads. */
    public static final List<String> FILES = java.util.Arrays.asList(
            TokenizerFiles.TOKENIZER_JSON, TokenizerFiles.TOKENIZER_CONFIG, TokenizerFiles.CHAT_TEMPLATE_FILE);

    private final String tokenizerDir;
    private final RecordOptions records;

    public TokenizerEncoderFactory(String tokenizerDir, RecordOptions records) {
        this.tokenizerDir = tokenizerDir;
        this.records = records.validate();
    }

    /** Where this JVM reads the tokenizer: the driver's folder (local mode, or a folder every node has). */
    protected Path localDir() {
        return Paths.get(tokenizerDir);
    }

    @Override
    public List<String> columns() {
        List<String> c = new ArrayList<>();
        for (String s : new String[] {
            records.textColumn,
            records.messagesColumn,
            records.promptColumn,
            records.completionColumn,
            records.instructionColumn,
            records.inputColumn,
            records.outputColumn
        }) {
            if (s != null) {
                c.add(s);
            }
        }
        return c;
    }

    @Override
    public RecordEncoder create() {
        return new TokenizingRecordEncoder(TextTokenizer.shared(localDir()), records);
    }

    @Override
    public boolean onlyStringColumns() {
        return records.layout() == RecordOptions.Layout.TEXT || records.layout() == RecordOptions.Layout.INSTRUCTION;
    }

    @Override
    public String cacheKey() {
        return tokenizerDir + "|" + records.layout() + "|" + columns() + "|" + records.trainOn + "|" + records.eosToken
                + "|" + records.chatTemplateKwargs;
    }

    /** Loads the tokenizer and builds one encoder on the driver, so a bad directory or template fails early. */
    @Override
    public Manifest.Tokenizer tokenizerInfo() {
        Path dir = Paths.get(tokenizerDir);
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("tokenizer: " + tokenizerDir + " is not a directory; give the local "
                    + "folder holding the model's tokenizer.json and tokenizer_config.json");
        }
        try {
            TextTokenizer t = TextTokenizer.shared(dir);
            create().close();
            Manifest.Tokenizer info = new Manifest.Tokenizer();
            info.fingerprint = t.fingerprint();
            info.vocabSize = t.vocabSize();
            info.eosToken = records.eosToken != null ? records.eosToken : t.files().eosToken;
            info.eosTokenId = t.tokenToId(info.eosToken);
            // Padding is never attended to nor trained on, so any id does; EOS when there is no pad token.
            info.padTokenId = t.padId() >= 0 ? t.padId() : Math.max(0, info.eosTokenId);
            return info;
        } catch (java.io.UncheckedIOException e) {
            throw new IllegalArgumentException("tokenizer: " + e.getCause().getMessage(), e);
        }
    }

    @Override
    public Manifest.Template templateInfo() {
        Manifest.Template t = new Manifest.Template();
        if (records.layout() == RecordOptions.Layout.TEXT) {
            t.kind = "text";
            return t;
        }
        t.kind = "chat";
        t.sha256 = sha256(TextTokenizer.shared(Paths.get(tokenizerDir)).files().chatTemplate);
        return t;
    }

    private static String sha256(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder();
            for (byte b : d) {
                sb.append(String.format("%02x", b));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
