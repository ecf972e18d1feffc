package dev.finetune.pipeline.records;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Reads the configured columns of one record into a text or a list of chat messages, checking types. */
final class RecordColumns {
    /** The roles chat templates render; a message with another role would vanish from the rendered text. */
    static final List<String> ROLES = List.of("system", "user", "assistant", "tool");

    private RecordColumns() {}

    static String text(Map<String, Object> record, String column) {
        Object v = column(record, column);
        if (!(v instanceof String)) {
            throw wrongType(record, column, "a string", v);
        }
        return (String) v;
    }

    /** The conversation of a record in the configured layout (not TEXT). */
    static List<Map<String, Object>> messages(Map<String, Object> record, RecordOptions o) {
        switch (o.layout()) {
            case MESSAGES:
                return messageList(record, o.messagesColumn, column(record, o.messagesColumn));
            case PROMPT_COMPLETION: {
                Object p = column(record, o.promptColumn);
                Object c = column(record, o.completionColumn);
                List<Map<String, Object>> out = new ArrayList<>();
                out.addAll(
                        p instanceof String
                                ? List.of(message("user", (String) p))
                                : messageList(record, o.promptColumn, p));
                out.addAll(
                        c instanceof String
                                ? List.of(message("assistant", (String) c))
                                : messageList(record, o.completionColumn, c));
                return out;
            }
            case INSTRUCTION: {
                String instruction = text(record, o.instructionColumn);
                String input = "";
                if (o.inputColumn != null) {
                    Object in = column(record, o.inputColumn);
                    if (in != null && !(in instanceof String)) {
                        throw wrongType(record, o.inputColumn, "a string or null", in);
                    }
                    input = in == null ? "" : (String) in;
                }
                String user = input.trim().isEmpty() ? instruction : instruction + "\n\n" + input;
                return List.of(message("user", user), message("assistant", text(record, o.outputColumn)));
            }
            default:
                throw new IllegalStateException("layout " + o.layout() + " has no messages");
        }
    }

    private static List<Map<String, Object>> messageList(Map<String, Object> record, String column, Object v) {
        if (!(v instanceof List)) {
            throw wrongType(record, column, "a list of {role, content} messages", v);
        }
        List<Map<String, Object>> out = new ArrayList<>();
        int i = 0;
        for (Object m : (List<?>) v) {
            if (!(m instanceof Map) || !(((Map<?, ?>) m).get("role") instanceof String)) {
                throw new IllegalArgumentException("column '" + column + "', message " + i
                        + ": expected a map with a string 'role' (and 'content'), found " + describe(m));
            }
            Object role = ((Map<?, ?>) m).get("role");
            if (!ROLES.contains(role)) {
                throw new IllegalArgumentException("column '" + column + "', message " + i + ": role '" + role
                        + "' is not one of " + String.join(", ", ROLES) + " (chat templates drop other roles "
                        + "without a word); rename it in the data");
            }
            Map<String, Object> copy = new LinkedHashMap<>();
            ((Map<?, ?>) m).forEach((k, val) -> copy.put(String.valueOf(k), val));
            out.add(copy);
            i++;
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("column '" + column + "' holds an empty conversation");
        }
        return out;
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    private static Object column(Map<String, Object> record, String column) {
        if (!record.containsKey(column)) {
            throw new IllegalArgumentException("record has no column '" + column + "'; columns present: "
                    + new TreeSet<>(record.keySet()) + " (set the column options of prepare to one of them)");
        }
        return record.get(column);
    }

    private static IllegalArgumentException wrongType(
            Map<String, Object> record, String column, String expected, Object found) {
        return new IllegalArgumentException("column '" + column + "' must hold " + expected + ", found "
                + describe(found) + "; columns present: " + new TreeSet<>(record.keySet()));
    }

    private static String describe(Object v) {
        return v == null ? "null" : v.getClass().getSimpleName();
    }
}
