package dev.finetune.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Hugging Face tokenizer loaded from a local directory (tokenizer.json + tokenizer_config.json). Thread-safe:
 * the Rust tokenizer is immutable once built. Share one per JVM through {@link #shared(Path)}.
 */
public final class TextTokenizer implements AutoCloseable {
    private static final Map<Path, TextTokenizer> SHARED = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> SHARED.values().forEach(TextTokenizer::closeNative), "close-shared-tokenizers"));
    }

    private final Path dir;
    private final HuggingFaceTokenizer tokenizer;
    private final TokenizerFiles files;
    private final Map<String, Integer> vocab;
    private final String[] idToToken;
    private final List<String> specialTokens = new ArrayList<>();
    private final String fingerprint;
    private final boolean shared;

    private TextTokenizer(Path dir, boolean shared) throws IOException {
        this.dir = dir;
        this.shared = shared;
        Path json = dir.resolve(TokenizerFiles.TOKENIZER_JSON);
        if (!Files.isRegularFile(json)) {
            throw new IOException("no " + TokenizerFiles.TOKENIZER_JSON + " in tokenizer directory " + dir
                    + ": download the model's tokenizer files there first");
        }
        byte[] bytes = Files.readAllBytes(json);
        this.fingerprint = fingerprintOf(bytes);
        this.files = TokenizerFiles.read(dir);
        this.vocab = readVocab(bytes, json, specialTokens);
        int size = 0;
        for (int id : vocab.values()) {
            size = Math.max(size, id + 1);
        }
        this.idToToken = new String[size];
        vocab.forEach((t, id) -> idToToken[id] = t);
        Map<String, String> options = new HashMap<>();
        // we add special tokens per call and never cut or pad here; packing decides lengths
        options.put("addSpecialTokens", "false");
        options.put("truncation", "false");
        options.put("padding", "false");
        options.put("maxLength", String.valueOf(Integer.MAX_VALUE));
        this.tokenizer = HuggingFaceTokenizer.newInstance(dir, options);
    }

    /** Loads a private instance; the caller closes it. {@code dir} must be a local directory, never a Hub name. */
    public static TextTokenizer load(Path dir) throws IOException {
        return new TextTokenizer(dir.toAbsolutePath().normalize(), false);
    }

    /** One instance per directory per JVM, closed at JVM exit; {@link #close()} on it does nothing. */
    public static TextTokenizer shared(Path dir) {
        Path key = dir.toAbsolutePath().normalize();
        return SHARED.computeIfAbsent(key, k -> {
            try {
                return new TextTokenizer(k, true);
            } catch (IOException e) {
                throw new UncheckedIOException("loading the tokenizer in " + k, e);
            }
        });
    }

    public Path directory() {
        return dir;
    }

    public TokenizerFiles files() {
        return files;
    }

    /** Token ids of {@code text}; with {@code addSpecialTokens} the tokenizer's post-processor adds e.g. BOS. */
    public int[] encode(String text, boolean addSpecialTokens) {
        return toInts(tokenizer.encode(text, addSpecialTokens, false).getIds());
    }

    /** Token ids with each token's UTF-16 character span in {@code text}; no special tokens are added. */
    public Encoded encodeWithOffsets(String text) {
        Encoding e = tokenizer.encode(text, false, false);
        int[] ids = toInts(e.getIds());
        CharSpan[] spans = e.getCharTokenSpans();
        int[] cpToChar = codePointToCharIndex(text);
        int[] starts = new int[ids.length];
        int[] ends = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            // the Rust side counts Unicode scalar values; Java strings index UTF-16 units
            starts[i] = cpToChar[Math.min(spans[i].getStart(), cpToChar.length - 1)];
            ends[i] = cpToChar[Math.min(spans[i].getEnd(), cpToChar.length - 1)];
        }
        return new Encoded(ids, starts, ends);
    }

    /** Text of {@code ids}, special tokens kept. */
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, false);
    }

    /** The id of a token string (as in the vocabulary or added tokens), or -1. */
    public int tokenToId(String token) {
        Integer id = token == null ? null : vocab.get(token);
        return id == null ? -1 : id;
    }

    /** The token string of an id, or null when no token has it. */
    public String idToToken(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }

    /** 1 + the largest id of the vocabulary and the added tokens (what an embedding matrix must cover). */
    public int vocabSize() {
        return idToToken.length;
    }

    /** sha256 (hex) of tokenizer.json's bytes: shards and models must agree on it. */
    public String fingerprint() {
        return fingerprint;
    }

    /** The added tokens marked special in tokenizer.json (never split by the tokenizer), in file order. */
    public List<String> specialTokens() {
        return Collections.unmodifiableList(specialTokens);
    }

    /** -1 where the config names no such token. */
    public int eosId() {
        return requireKnown("eos_token", files.eosToken);
    }

    public int bosId() {
        return requireKnown("bos_token", files.bosToken);
    }

    public int padId() {
        return requireKnown("pad_token", files.padToken);
    }

    private int requireKnown(String key, String token) {
        if (token == null) {
            return -1;
        }
        int id = tokenToId(token);
        if (id < 0) {
            throw new IllegalStateException(dir.resolve(TokenizerFiles.TOKENIZER_CONFIG) + ": " + key + " '" + token
                    + "' is not in tokenizer.json's vocabulary");
        }
        return id;
    }

    @Override
    public void close() {
        if (!shared) {
            closeNative();
        }
    }

    private void closeNative() {
        tokenizer.close();
    }

    /**
     * Token → id from tokenizer.json's model.vocab (an object for BPE/WordPiece/WordLevel, a list of
     * [piece, score] for Unigram) and added_tokens, read with a streaming parser that skips the merges
     * (a tree of the whole 11 MB file took seconds).
     */
    private static Map<String, Integer> readVocab(byte[] json, Path file, List<String> special) throws IOException {
        Map<String, Integer> vocab = new HashMap<>();
        // 150k distinct field names: interning and canonicalizing them costs more than the parse
        JsonFactory factory = new JsonFactory()
                .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
                .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES);
        try (JsonParser p = factory.createParser(json)) {
            expect(p.nextToken() == JsonToken.START_OBJECT, file, "a JSON object");
            boolean sawVocab = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.getCurrentName();
                JsonToken t = p.nextToken();
                if (field.equals("model") && t == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String f = p.getCurrentName();
                        JsonToken v = p.nextToken();
                        if (f.equals("vocab") && v == JsonToken.START_OBJECT) {
                            sawVocab = true;
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String token = p.getCurrentName();
                                p.nextToken();
                                vocab.putIfAbsent(token, p.getIntValue());
                            }
                        } else if (f.equals("vocab") && v == JsonToken.START_ARRAY) {
                            sawVocab = true;
                            int id = 0;
                            while (p.nextToken() == JsonToken.START_ARRAY) {
                                p.nextToken();
                                vocab.putIfAbsent(p.getText(), id++);
                                p.skipChildren(); // the rest of [piece, score]
                                while (p.currentToken() != JsonToken.END_ARRAY) {
                                    p.nextToken();
                                }
                            }
                        } else {
                            p.skipChildren();
                        }
                    }
                } else if (field.equals("added_tokens") && t == JsonToken.START_ARRAY) {
                    ObjectMapper om = new ObjectMapper();
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        JsonNode added = om.readTree(p);
                        vocab.put(
                                added.path("content").asText(), added.path("id").asInt());
                        if (added.path("special").asBoolean(false)) {
                            special.add(added.path("content").asText());
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
            expect(sawVocab, file, "model.vocab as an object or a list");
        }
        return vocab;
    }

    private static void expect(boolean ok, Path file, String what) throws IOException {
        if (!ok) {
            throw new IOException(file + ": expected " + what + " (is it a Hugging Face tokenizer.json?)");
        }
    }

    private static int[] codePointToCharIndex(String text) {
        int n = text.codePointCount(0, text.length());
        int[] map = new int[n + 1];
        int c = 0;
        for (int i = 0; i < n; i++) {
            map[i] = c;
            c += Character.charCount(text.codePointAt(c));
        }
        map[n] = c;
        return map;
    }

    private static int[] toInts(long[] l) {
        int[] r = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            r[i] = Math.toIntExact(l[i]);
        }
        return r;
    }

    /** The fingerprint of a tokenizer.json's bytes (sha256, hex), as {@link #fingerprint()} and shard manifests hold it. */
    public static String fingerprintOf(byte[] tokenizerJson) {
        try {
            StringBuilder sb = new StringBuilder();
            for (byte b : MessageDigest.getInstance("SHA-256").digest(tokenizerJson)) {
                sb.append(String.format("%02x", b));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }
}
