package dev.finetune.templates;

import java.util.Collection;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=False, indent=indent)} as transformers' {@code tojson} calls it:
 * separators ", " and ": " on one line, "," and ": " with an indent; non-ASCII kept; no HTML escaping.
 */
final class Json {
    private Json() {}

    static String dumps(Object v, Integer indent, boolean sortKeys) {
        StringBuilder sb = new StringBuilder();
        write(sb, v, indent, sortKeys, 0);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v, Integer indent, boolean sortKeys, int depth) {
        v = PyOps.plain(v);
        if (v instanceof Undefined) {
            throw ((Undefined) v).error("tojson cannot serialise an undefined value");
        }
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Boolean) {
            sb.append((Boolean) v ? "true" : "false");
        } else if (v instanceof Number) {
            sb.append(PyOps.isInt(v) ? String.valueOf(PyOps.toLong(v)) : jsonDouble(PyOps.toDouble(v)));
        } else if (v instanceof String) {
            quote(sb, (String) v);
        } else if (v instanceof Map) {
            Map<?, ?> m = (Map<?, ?>) v;
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            Iterable<?> keys = m.keySet();
            if (sortKeys) {
                java.util.List<String> sorted = new java.util.ArrayList<>();
                for (Object k : m.keySet()) {
                    sorted.add(String.valueOf(k));
                }
                java.util.Collections.sort(sorted);
                keys = sorted;
            }
            sb.append('{');
            String sep = "";
            for (Object k : keys) {
                sb.append(sep);
                newline(sb, indent, depth + 1);
                quote(sb, k instanceof String ? (String) k : PyOps.str(k));
                sb.append(": ");
                write(sb, m.get(k), indent, sortKeys, depth + 1);
                sep = indent == null ? ", " : ",";
            }
            newline(sb, indent, depth);
            sb.append('}');
        } else if (v instanceof Collection) {
            Collection<?> c = (Collection<?>) v;
            if (c.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            String sep = "";
            for (Object o : c) {
                sb.append(sep);
                newline(sb, indent, depth + 1);
                write(sb, o, indent, sortKeys, depth + 1);
                sep = indent == null ? ", " : ",";
            }
            newline(sb, indent, depth);
            sb.append(']');
        } else {
            throw new TemplateException("tojson: cannot serialise " + PyOps.typeName(v));
        }
    }

    private static void newline(StringBuilder sb, Integer indent, int depth) {
        if (indent != null) {
            sb.append('\n');
            for (int i = 0; i < indent * depth; i++) {
                sb.append(' ');
            }
        }
    }

    static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    sb.append("\\\"");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                case '\r':
                    sb.append("\\r");
                    break;
                case '\t':
                    sb.append("\\t");
                    break;
                case '\b':
                    sb.append("\\b");
                    break;
                case '\f':
                    sb.append("\\f");
                    break;
                default:
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        sb.append('"');
    }

    private static String jsonDouble(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        return formatDouble(d);
    }

    /** Python's repr of a float: shortest round-trip digits, exponent form outside [1e-4, 1e16). */
    static String formatDouble(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e16) {
            return String.valueOf((long) d) + ".0";
        }
        double a = Math.abs(d);
        if (a >= 1e-4 && a < 1e16) {
            return new java.math.BigDecimal(Double.toString(d)).toPlainString();
        }
        String s = Double.toString(d); // e.g. 1.0E-5
        int e = s.indexOf('E');
        String mant = s.substring(0, e);
        if (mant.endsWith(".0")) {
            mant = mant.substring(0, mant.length() - 2);
        }
        int exp = Integer.parseInt(s.substring(e + 1));
        return mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }
}
