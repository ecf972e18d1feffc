package dev.finetune.templates;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Python's str and dict methods that chat templates call ({@code message.content.startswith('<tool')}). */
final class PyMethods {
    private PyMethods() {}

    /** The bound method {@code obj.name}, or null when obj has no such method. */
    static PyCallable bind(Object obj, String name) {
        obj = PyOps.plain(obj);
        if (obj instanceof String) {
            return stringMethod((String) obj, name);
        }
        if (obj instanceof Map && !(obj instanceof Namespace)) {
            return dictMethod((Map<?, ?>) obj, name);
        }
        return null;
    }

    private static PyCallable dictMethod(Map<?, ?> m, String name) {
        switch (name) {
            case "get":
                return (a, kw, line) -> {
                    arity(name, a, 1, 2, line);
                    Object v = PyOps.getItem(m, a.get(0), line);
                    return v instanceof Undefined ? (a.size() > 1 ? a.get(1) : null) : v;
                };
            case "items":
                return (a, kw, line) -> {
                    List<Object> r = new ArrayList<>();
                    for (Map.Entry<?, ?> e : m.entrySet()) {
                        r.add(new Tuple(java.util.Arrays.asList(e.getKey(), e.getValue())));
                    }
                    return r;
                };
            case "keys":
                return (a, kw, line) -> new ArrayList<Object>(m.keySet());
            case "values":
                return (a, kw, line) -> new ArrayList<Object>(m.values());
            default:
                return null;
        }
    }

    private static PyCallable stringMethod(String s, String name) {
        switch (name) {
            case "startswith":
            case "endswith":
                return (a, kw, line) -> {
                    arity(name, a, 1, 1, line);
                    for (Object p : a.get(0) instanceof List ? (List<?>) a.get(0) : List.of(a.get(0))) {
                        String prefix = requireString(name, p, line);
                        if (name.equals("startswith") ? s.startsWith(prefix) : s.endsWith(prefix)) {
                            return true;
                        }
                    }
                    return false;
                };
            case "strip":
            case "lstrip":
            case "rstrip":
                return (a, kw, line) -> {
                    arity(name, a, 0, 1, line);
                    String chars = a.isEmpty() || a.get(0) == null ? null : requireString(name, a.get(0), line);
                    return strip(s, chars, !name.equals("rstrip"), !name.equals("lstrip"));
                };
            case "split":
            case "rsplit":
                return (a, kw, line) -> {
                    arity(name, a, 0, 2, line);
                    Object sep = a.isEmpty() ? kw.get("sep") : a.get(0);
                    Object max = a.size() > 1 ? a.get(1) : kw.getOrDefault("maxsplit", -1L);
                    return split(
                            s,
                            sep == null ? null : requireString(name, sep, line),
                            (int) PyOps.toLong(max),
                            name.equals("rsplit"));
                };
            case "upper":
                return (a, kw, line) -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower":
                return (a, kw, line) -> s.toLowerCase(java.util.Locale.ROOT);
            case "title":
                return (a, kw, line) -> title(s);
            case "capitalize":
                return (a, kw, line) -> capitalize(s);
            case "replace":
                return (a, kw, line) -> {
                    arity(name, a, 2, 3, line);
                    return replace(
                            s,
                            requireString(name, a.get(0), line),
                            requireString(name, a.get(1), line),
                            a.size() > 2 ? PyOps.toLong(a.get(2)) : -1);
                };
            case "find":
            case "rfind":
                return (a, kw, line) -> {
                    arity(name, a, 1, 1, line);
                    String sub = requireString(name, a.get(0), line);
                    return (long) (name.equals("find") ? s.indexOf(sub) : s.lastIndexOf(sub));
                };
            case "count":
                return (a, kw, line) -> {
                    arity(name, a, 1, 1, line);
                    String sub = requireString(name, a.get(0), line);
                    long n = 0;
                    for (int i = s.indexOf(sub); i >= 0 && !sub.isEmpty(); i = s.indexOf(sub, i + sub.length())) {
                        n++;
                    }
                    return n;
                };
            case "join":
                return (a, kw, line) -> {
                    arity(name, a, 1, 1, line);
                    StringBuilder sb = new StringBuilder();
                    String sep = "";
                    for (Object o : PyOps.iterate(a.get(0), line)) {
                        sb.append(sep).append(requireString(name, o, line));
                        sep = s;
                    }
                    return sb.toString();
                };
            case "isdigit":
                return (a, kw, line) -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isspace":
                return (a, kw, line) -> !s.isEmpty() && s.chars().allMatch(Character::isWhitespace);
            case "splitlines":
                return (a, kw, line) -> {
                    List<Object> r = new ArrayList<>(java.util.Arrays.asList(s.split("\r\n|\n|\r", -1)));
                    if (!r.isEmpty() && r.get(r.size() - 1).equals("")) {
                        r.remove(r.size() - 1);
                    }
                    return r;
                };
            default:
                return null;
        }
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int b = 0;
        int e = s.length();
        while (left && b < e && stripped(s.charAt(b), chars)) {
            b++;
        }
        while (right && e > b && stripped(s.charAt(e - 1), chars)) {
            e--;
        }
        return s.substring(b, e);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
    }

    /** Python's str.split / rsplit, including the whitespace-run form when sep is None. */
    static List<Object> split(String s, String sep, int maxsplit, boolean fromRight) {
        List<Object> r = new ArrayList<>();
        if (sep == null) {
            String[] parts = s.trim().isEmpty() ? new String[0] : s.trim().split("\\s+");
            if (maxsplit < 0 || parts.length <= maxsplit + 1) {
                r.addAll(java.util.Arrays.asList(parts));
                return r;
            }
            // rare in templates: keep the remainder unsplit on the far side
            String t = fromRight ? strip(s, null, false, true) : strip(s, null, true, false);
            if (!fromRight) {
                String rest = t;
                for (int i = 0; i < maxsplit; i++) {
                    String[] two = rest.split("\\s+", 2);
                    r.add(two[0]);
                    rest = strip(two[1], null, true, false);
                }
                r.add(rest);
                return r;
            }
            String rest = t;
            for (int i = 0; i < maxsplit; i++) {
                int k = rest.length() - 1;
                while (!Character.isWhitespace(rest.charAt(k))) {
                    k--;
                }
                r.add(0, rest.substring(k + 1));
                rest = strip(rest.substring(0, k), null, false, true);
            }
            r.add(0, rest);
            return r;
        }
        if (sep.isEmpty()) {
            throw new TemplateException("split: empty separator");
        }
        if (!fromRight) {
            int from = 0;
            int n = 0;
            int i;
            while ((maxsplit < 0 || n < maxsplit) && (i = s.indexOf(sep, from)) >= 0) {
                r.add(s.substring(from, i));
                from = i + sep.length();
                n++;
            }
            r.add(s.substring(from));
            return r;
        }
        int to = s.length();
        int n = 0;
        int i;
        while ((maxsplit < 0 || n < maxsplit)
                && to - sep.length() >= 0
                && (i = s.lastIndexOf(sep, to - sep.length())) >= 0) {
            r.add(0, s.substring(i + sep.length(), to));
            to = i;
            n++;
        }
        r.add(0, s.substring(0, to));
        return r;
    }

    static String replace(String s, String old, String repl, long count) {
        if (count < 0) {
            return s.replace(old, repl);
        }
        StringBuilder sb = new StringBuilder();
        int from = 0;
        for (long n = 0; n < count; n++) {
            int i = s.indexOf(old, from);
            if (i < 0) {
                break;
            }
            sb.append(s, from, i).append(repl);
            from = i + old.length();
        }
        return sb.append(s.substring(from)).toString();
    }

    static String title(String s) {
        StringBuilder sb = new StringBuilder();
        boolean prevLetter = false;
        for (char c : s.toCharArray()) {
            sb.append(prevLetter ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevLetter = Character.isLetter(c);
        }
        return sb.toString();
    }

    static String capitalize(String s) {
        return s.isEmpty()
                ? s
                : Character.toUpperCase(s.charAt(0)) + s.substring(1).toLowerCase(java.util.Locale.ROOT);
    }

    private static void arity(String name, List<Object> a, int min, int max, int line) {
        if (a.size() < min || a.size() > max) {
            throw new TemplateException("line " + line + ": " + name + "() takes " + min
                    + (max > min ? " to " + max : "") + " arguments, got " + a.size());
        }
    }

    private static String requireString(String name, Object v, int line) {
        v = PyOps.plain(v);
        if (!(v instanceof String)) {
            throw new TemplateException("line " + line + ": " + name + "() needs a string, got " + PyOps.typeName(v));
        }
        return (String) v;
    }
}
