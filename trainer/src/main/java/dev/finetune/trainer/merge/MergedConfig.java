package dev.finetune.trainer.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The base's config.json with its dtype key set to the merged model's dtype. The base's style is kept: the
 * long-standing {@code torch_dtype}, transformers 5's {@code dtype}, or both, whichever it has ({@code torch_dtype}
 * when it has neither). Only the value changes, so the file stays byte-identical otherwise; where the text
 * cannot be edited unambiguously the document is re-serialized instead.
 */
final class MergedConfig {
    static final List<String> DTYPE_KEYS = Arrays.asList("torch_dtype", "dtype");

    private MergedConfig() {}

    /** The rewritten config.json text; {@code where} names the source in errors. */
    static String withDtype(String baseJson, OutputDtype dtype, String where) throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode root = json.readTree(baseJson);
        if (root == null || !root.isObject()) {
            throw new IOException(where + ": not a JSON object");
        }
        List<String> present = new ArrayList<>();
        for (String k : DTYPE_KEYS) {
            if (root.has(k)) {
                present.add(k);
            }
        }
        String text = baseJson;
        boolean editable = !present.isEmpty();
        for (String k : present) {
            JsonNode v = root.get(k);
            Pattern p = Pattern.compile("\"" + k + "\"(\\s*:\\s*)"
                    + (v.isTextual() ? Pattern.quote(json.writeValueAsString(v.asText())) : "null"));
            Matcher m = p.matcher(text);
            if (!m.find() || m.find()) { // absent as plain text, or also inside a nested config
                editable = false;
                break;
            }
            text = p.matcher(text)
                    .replaceFirst(Matcher.quoteReplacement("\"" + k + "\"") + "$1"
                            + Matcher.quoteReplacement("\"" + dtype.torchName + "\""));
        }
        if (editable) {
            return text;
        }
        ObjectNode copy = (ObjectNode) root.deepCopy();
        if (present.isEmpty()) {
            copy.put("torch_dtype", dtype.torchName);
        }
        for (String k : present) {
            copy.put(k, dtype.torchName);
        }
        return json.writerWithDefaultPrettyPrinter().writeValueAsString(copy) + "\n";
    }
}
