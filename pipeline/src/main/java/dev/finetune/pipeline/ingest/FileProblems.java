package dev.finetune.pipeline.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What is wrong with an input file, said as the user needs it: "x.jsonl line 7: not valid UTF-8 ...", "x.jsonl
 * line 3 is not valid JSON: ...", "x.jsonl is empty". Spark's JSON reader turns such lines into rows of nulls
 * (and an empty file into no columns at all), so prepare calls this when a record or a column comes out missing,
 * to name the file and line instead of the symptom. Reads the file from the start; used only on that failure
 * path.
 */
public final class FileProblems {
    private static final ObjectReader JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .readerFor(JsonNode.class);

    private FileProblems() {}

    /**
     * The first problem among {@code files}: for JSON lines or JSON, a file that is empty or does not read as JSON
     * objects; for parquet, a file without parquet's markers. Null when none is found.
     */
    public static String first(InputFiles files, Configuration conf) throws IOException {
        if (files.format == FileFormat.PARQUET) {
            for (String f : files.files) {
                String p = parquet(f, conf);
                if (p != null) {
                    return p;
                }
            }
            return null;
        }
        boolean allEmpty = true;
        for (String f : files.files) {
            String p = of(f, files.format, conf);
            if (p != null && !p.endsWith(EMPTY)) {
                return p;
            }
            allEmpty &= p != null;
        }
        return allEmpty
                ? (files.files.size() == 1
                        ? files.files.get(0) + EMPTY
                        : "every input file is empty (" + String.join(", ", files.files) + ")")
                : null;
    }

    private static final String EMPTY = " is empty: it holds no records; put the data in it or remove it";

    /** The first problem of one file, or null. */
    public static String of(String file, FileFormat format, Configuration conf) throws IOException {
        Path path = new Path(file);
        FileSystem fs = path.getFileSystem(conf);
        FileStatus st = fs.getFileStatus(path);
        if (st.getLen() == 0) {
            return file + EMPTY;
        }
        try (InputStream in = new BufferedInputStream(fs.open(path), 1 << 16)) {
            return format == FileFormat.JSON ? wholeJson(file, in) : jsonLines(file, in);
        }
    }

    /**
     * A parquet file starts and ends with the 4 bytes "PAR1" (the footer, which readers need first, sits just
     * before the last ones); a truncated download or a file of another kind lacks them.
     */
    public static String parquet(String file, Configuration conf) throws IOException {
        Path path = new Path(file);
        FileSystem fs = path.getFileSystem(conf);
        long len = fs.getFileStatus(path).getLen();
        String fix = "; download or write it again, or remove it";
        if (len < 12) {
            return file + " is not a readable parquet file (" + len + " bytes, too short for one)" + fix;
        }
        byte[] head = new byte[4];
        byte[] tail = new byte[4];
        try (org.apache.hadoop.fs.FSDataInputStream in = fs.open(path)) {
            in.readFully(0, head);
            in.readFully(len - 4, tail);
        }
        byte[] magic = "PAR1".getBytes(StandardCharsets.US_ASCII);
        if (!java.util.Arrays.equals(head, magic)) {
            return file + " is not a parquet file (it does not start with parquet's PAR1 marker)" + fix;
        }
        if (!java.util.Arrays.equals(tail, magic)) {
            return file + " is not a readable parquet file (it does not end with parquet's PAR1 marker: "
                    + "truncated, e.g. an interrupted download)" + fix;
        }
        return null;
    }

    /** JSON lines: every non-blank line one JSON object, in UTF-8. */
    static String jsonLines(String file, InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        long number = 0;
        boolean any = false;
        int b;
        do {
            b = in.read();
            if (b != '\n' && b != -1) {
                line.write(b);
                continue;
            }
            if (b == -1 && line.size() == 0) {
                break;
            }
            number++;
            String problem = line(line.toByteArray(), file + " line " + number);
            line.reset();
            if (problem == null) {
                any = true;
            } else if (!problem.isEmpty()) { // "" is a blank line
                return problem;
            }
        } while (b != -1);
        return any ? null : file + EMPTY;
    }

    /** "" for a blank line, null for a JSON object, else what is wrong with it. */
    private static String line(byte[] bytes, String where) {
        String text;
        try {
            CharsetDecoder utf8 = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            text = utf8.decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return where + ": not valid UTF-8 (byte 0x" + String.format(Locale.ROOT, "%02X", badByte(bytes))
                    + ", the line's byte " + (badOffset(bytes) + 1) + "); save the file as UTF-8";
        }
        if (text.trim().isEmpty()) {
            return "";
        }
        try {
            JsonNode node = JSON.readValue(text);
            if (node == null || !node.isObject()) {
                return where + " is a JSON "
                        + (node == null
                                ? "nothing"
                                : node.getNodeType().toString().toLowerCase(Locale.ROOT))
                        + ", not an object; each line must be one object such as "
                        + "{\"text\": \"...\"}";
            }
            return null;
        } catch (JsonProcessingException e) {
            return where + " is not valid JSON (" + e.getOriginalMessage().replace('\n', ' ') + " at column "
                    + e.getLocation().getColumnNr() + "): " + preview(text)
                    + "; each line must be one JSON object such as {\"text\": \"...\"}";
        } catch (IOException e) {
            return where + " cannot be read: " + e.getMessage();
        }
    }

    /** A .json file (Spark's multiLine): one JSON value in UTF-8, an object or an array of objects. */
    static String wholeJson(String file, InputStream in) throws IOException {
        byte[] all = in.readAllBytes();
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(all))
                    .toString();
        } catch (CharacterCodingException e) {
            int at = badOffset(all);
            int lineNo = 1;
            for (int i = 0; i < at; i++) {
                lineNo += all[i] == '\n' ? 1 : 0;
            }
            return file + " line " + lineNo + ": not valid UTF-8 (byte 0x"
                    + String.format(Locale.ROOT, "%02X", all[at] & 0xff) + "); save the file as UTF-8";
        }
        if (text.trim().isEmpty()) {
            return file + EMPTY;
        }
        try {
            JsonNode node = JSON.readValue(text);
            if (!node.isObject() && !node.isArray()) {
                return file + " holds a JSON " + node.getNodeType().toString().toLowerCase(Locale.ROOT)
                        + "; it must hold an object or an array of objects";
            }
            return null;
        } catch (JsonProcessingException e) {
            return file + " line " + e.getLocation().getLineNr() + " is not valid JSON ("
                    + e.getOriginalMessage().replace('\n', ' ') + " at column "
                    + e.getLocation().getColumnNr() + ")";
        }
    }

    private static String preview(String line) {
        String t = line.trim();
        return t.length() <= 60 ? t : t.substring(0, 57) + "...";
    }

    /** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
    private static int badOffset(byte[] bytes) {
        CharsetDecoder utf8 = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length + 1);
        java.nio.charset.CoderResult r = utf8.decode(in, out, true);
        return r.isError() ? in.position() : bytes.length;
    }

    private static int badByte(byte[] bytes) {
        int at = badOffset(bytes);
        return at < bytes.length ? bytes[at] & 0xff : 0;
    }
}
