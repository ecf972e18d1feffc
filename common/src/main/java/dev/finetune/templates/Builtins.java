package dev.finetune.templates;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Jinja's filters and tests, and the globals transformers adds (raise_exception, strftime_now). */
final class Builtins {
    private Builtins() {}

    /** Globals every render sees; the caller's variables shadow them. */
    static void installGlobals(Scope scope) {
        scope.set("namespace", (PyCallable) (a, kw, line) -> {
            Namespace ns = new Namespace();
            for (Object o : a) {
                if (o instanceof Map) {
                    for (Map.Entry<?, ?> e : ((Map<?, ?>) o).entrySet()) {
                        ns.put(String.valueOf(e.getKey()), e.getValue());
                    }
                }
            }
            ns.putAll(kw);
            return ns;
        });
        scope.set("dict", (PyCallable) (a, kw, line) -> new LinkedHashMap<Object, Object>(kw));
        scope.set("range", (PyCallable) (a, kw, line) -> {
            long start = a.size() > 1 ? PyOps.toLong(a.get(0)) : 0;
            long stop = PyOps.toLong(a.get(a.size() > 1 ? 1 : 0));
            long step = a.size() > 2 ? PyOps.toLong(a.get(2)) : 1;
            if (step == 0) {
                throw new TemplateException("line " + line + ": range() step must not be zero");
            }
            List<Object> r = new ArrayList<>();
            for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
                r.add(i);
            }
            return r;
        });
        scope.set("raise_exception", (PyCallable) (a, kw, line) -> {
            throw new TemplateRaisedException(a.isEmpty() ? "" : PyOps.str(a.get(0)));
        });
        scope.set("strftime_now", (PyCallable) (a, kw, line) -> strftime(PyOps.str(a.get(0)), LocalDateTime.now()));
    }

    static Object filter(String name, Object v, List<Object> a, Map<String, Object> kw, Scope scope, int line) {
        switch (name) {
            case "safe":
                return v instanceof Markup ? v : new Markup(PyOps.str(v));
            case "e":
            case "escape":
                return v instanceof Markup ? v : new Markup(Markup.escape(PyOps.str(v)));
            default:
                break;
        }
        v = PyOps.plain(v);
        switch (name) {
            case "length":
            case "count":
                if (v instanceof String) {
                    return (long) ((String) v).codePointCount(0, ((String) v).length());
                }
                if (v instanceof Map) {
                    return (long) ((Map<?, ?>) v).size();
                }
                return (long) PyOps.iterate(v, line).size();
            case "string":
                return PyOps.str(v);
            case "trim":
                return PyMethods.strip(PyOps.str(v), a.isEmpty() ? null : PyOps.str(a.get(0)), true, true);
            case "upper":
                return PyOps.str(v).toUpperCase(Locale.ROOT);
            case "lower":
                return PyOps.str(v).toLowerCase(Locale.ROOT);
            case "title":
                return PyMethods.title(PyOps.str(v));
            case "capitalize":
                return PyMethods.capitalize(PyOps.str(v));
            case "tojson": {
                Object indent = kw.containsKey("indent") ? kw.get("indent") : a.isEmpty() ? null : a.get(0);
                boolean sort = PyOps.truthy(kw.get("sort_keys"));
                return Json.dumps(v, indent == null ? null : (int) PyOps.toLong(indent), sort);
            }
            case "join": {
                String sep = a.isEmpty() ? PyOps.str(kw.getOrDefault("d", "")) : PyOps.str(a.get(0));
                Object attr = a.size() > 1 ? a.get(1) : kw.get("attribute");
                StringBuilder sb = new StringBuilder();
                String s = "";
                for (Object o : PyOps.iterate(v, line)) {
                    sb.append(s).append(PyOps.str(attr == null ? o : PyOps.getItem(o, attr, line)));
                    s = sep;
                }
                return sb.toString();
            }
            case "default":
            case "d": {
                Object dflt = a.isEmpty() ? kw.getOrDefault("default_value", "") : a.get(0);
                boolean bool = a.size() > 1 ? PyOps.truthy(a.get(1)) : PyOps.truthy(kw.get("boolean"));
                return v instanceof Undefined || (bool && !PyOps.truthy(v)) ? dflt : v;
            }
            case "first": {
                List<Object> l = PyOps.iterate(v, line);
                return l.isEmpty() ? new Undefined("first of an empty sequence") : l.get(0);
            }
            case "last": {
                List<Object> l = PyOps.iterate(v, line);
                return l.isEmpty() ? new Undefined("last of an empty sequence") : l.get(l.size() - 1);
            }
            case "list":
                return new ArrayList<>(PyOps.iterate(v, line));
            case "items": {
                if (v instanceof Undefined) {
                    return new ArrayList<>();
                }
                PyCallable items = PyMethods.bind(v, "items");
                if (items == null) {
                    throw new TemplateException(
                            "line " + line + ": items filter needs a mapping, got " + PyOps.typeName(v));
                }
                return items.call(Collections.emptyList(), Collections.emptyMap(), line);
            }
            case "replace":
                return PyMethods.replace(
                        PyOps.str(v),
                        PyOps.str(a.get(0)),
                        PyOps.str(a.get(1)),
                        a.size() > 2 ? PyOps.toLong(a.get(2)) : -1);
            case "reverse": {
                if (v instanceof String) {
                    return new StringBuilder((String) v).reverse().toString();
                }
                List<Object> l = new ArrayList<>(PyOps.iterate(v, line));
                Collections.reverse(l);
                return l;
            }
            case "int":
                return toInt(v, a.isEmpty() ? 0L : a.get(0));
            case "float":
                try {
                    return v instanceof String ? Double.parseDouble(((String) v).trim()) : PyOps.toDouble(v);
                } catch (RuntimeException e) {
                    return a.isEmpty() ? 0.0 : a.get(0);
                }
            case "abs":
                return PyOps.isInt(v) ? (Object) Math.abs(PyOps.toLong(v)) : (Object) Math.abs(PyOps.toDouble(v));
            case "indent":
                return indent(
                        PyOps.str(v),
                        a.isEmpty() ? 4 : (int) PyOps.toLong(a.get(0)),
                        a.size() > 1 ? PyOps.truthy(a.get(1)) : PyOps.truthy(kw.get("first")));
            case "unique": {
                List<Object> out = new ArrayList<>();
                for (Object o : PyOps.iterate(v, line)) {
                    if (!PyOps.contains(out, o, line)) {
                        out.add(o);
                    }
                }
                return out;
            }
            case "map":
                return map(v, a, kw, scope, line);
            case "selectattr":
            case "rejectattr":
            case "select":
            case "reject":
                return select(name, v, a, line);
            default:
                throw new TemplateException("line " + line + ": unknown filter '" + name + "'");
        }
    }

    private static Object map(Object v, List<Object> a, Map<String, Object> kw, Scope scope, int line) {
        List<Object> out = new ArrayList<>();
        if (!PyOps.truthy(v)) { // Jinja maps and selects over a falsy value (None included) as empty
            return out;
        }
        for (Object o : PyOps.iterate(v, line)) {
            if (kw.containsKey("attribute")) {
                Object r = PyOps.getItem(o, kw.get("attribute"), line);
                out.add(r instanceof Undefined && kw.containsKey("default") ? kw.get("default") : r);
            } else {
                out.add(filter(PyOps.str(a.get(0)), o, a.subList(1, a.size()), Collections.emptyMap(), scope, line));
            }
        }
        return out;
    }

    private static Object select(String name, Object v, List<Object> a, int line) {
        boolean byAttr = name.endsWith("attr");
        boolean keep = name.startsWith("select");
        List<Object> out = new ArrayList<>();
        if (!PyOps.truthy(v)) {
            return out;
        }
        for (Object o : PyOps.iterate(v, line)) {
            Object subject = byAttr ? PyOps.getItem(o, a.get(0), line) : o;
            int testAt = byAttr ? 1 : 0;
            boolean r = a.size() > testAt
                    ? test(PyOps.str(a.get(testAt)), subject, a.subList(testAt + 1, a.size()), line)
                    : PyOps.truthy(subject);
            if (r == keep) {
                out.add(o);
            }
        }
        return out;
    }

    static boolean test(String name, Object v, List<Object> a, int line) {
        v = PyOps.plain(v);
        switch (name) {
            case "defined":
                return !(v instanceof Undefined);
            case "undefined":
                return v instanceof Undefined;
            case "none":
                return v == null;
            case "string":
                return v instanceof String;
            case "mapping":
                return v instanceof Map;
            case "sequence":
                return v instanceof Collection || v instanceof String || v instanceof Map;
            case "iterable":
                return v instanceof Collection || v instanceof String || v instanceof Map;
            case "number":
                return v instanceof Number;
            case "integer":
                return PyOps.isInt(v);
            case "float":
                return v instanceof Number && !PyOps.isInt(v);
            case "boolean":
                return v instanceof Boolean;
            case "true":
                return Boolean.TRUE.equals(v);
            case "false":
                return Boolean.FALSE.equals(v);
            case "callable":
                return v instanceof PyCallable;
            case "odd":
                return PyOps.toLong(v) % 2 != 0;
            case "even":
                return PyOps.toLong(v) % 2 == 0;
            case "divisibleby":
                return PyOps.toLong(v) % PyOps.toLong(a.get(0)) == 0;
            case "lower":
                return v instanceof String && v.equals(((String) v).toLowerCase(Locale.ROOT));
            case "upper":
                return v instanceof String && v.equals(((String) v).toUpperCase(Locale.ROOT));
            case "in":
                return PyOps.contains(a.get(0), v, line);
            case "sameas":
                return v == a.get(0) || (v != null && v.equals(a.get(0)) && (v instanceof Boolean));
            case "eq":
            case "equalto":
            case "==":
                return PyOps.equal(v, a.get(0));
            case "ne":
            case "!=":
                return !PyOps.equal(v, a.get(0));
            case "lt":
            case "lessthan":
            case "<":
                return PyOps.compare(v, a.get(0), "<", line) < 0;
            case "le":
            case "<=":
                return PyOps.compare(v, a.get(0), "<=", line) <= 0;
            case "gt":
            case "greaterthan":
            case ">":
                return PyOps.compare(v, a.get(0), ">", line) > 0;
            case "ge":
            case ">=":
                return PyOps.compare(v, a.get(0), ">=", line) >= 0;
            default:
                throw new TemplateException("line " + line + ": unknown test '" + name + "'");
        }
    }

    private static Object toInt(Object v, Object dflt) {
        if (PyOps.isInt(v) || v instanceof Boolean) {
            return PyOps.toLong(v);
        }
        if (v instanceof Number) {
            return (long) PyOps.toDouble(v);
        }
        try {
            return Long.parseLong(PyOps.str(v).trim());
        } catch (NumberFormatException e) {
            try {
                return (long) Double.parseDouble(PyOps.str(v).trim());
            } catch (NumberFormatException e2) {
                return dflt;
            }
        }
    }

    private static String indent(String s, int width, boolean first) {
        String pad = " ".repeat(width);
        String[] lines = s.split("\n", -1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) {
                sb.append('\n');
            }
            boolean blank = lines[i].isEmpty();
            sb.append((i > 0 || first) && !blank ? pad : "").append(lines[i]);
        }
        return sb.toString();
    }

    /** The strftime directives chat templates use for "today's date" lines. */
    static String strftime(String fmt, LocalDateTime t) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) {
                sb.append(c);
                continue;
            }
            char d = fmt.charAt(++i);
            switch (d) {
                case 'd':
                    sb.append(String.format("%02d", t.getDayOfMonth()));
                    break;
                case 'm':
                    sb.append(String.format("%02d", t.getMonthValue()));
                    break;
                case 'Y':
                    sb.append(t.getYear());
                    break;
                case 'y':
                    sb.append(String.format("%02d", t.getYear() % 100));
                    break;
                case 'H':
                    sb.append(String.format("%02d", t.getHour()));
                    break;
                case 'M':
                    sb.append(String.format("%02d", t.getMinute()));
                    break;
                case 'S':
                    sb.append(String.format("%02d", t.getSecond()));
                    break;
                case 'b':
                    sb.append(t.format(DateTimeFormatter.ofPattern("MMM", Locale.ENGLISH)));
                    break;
                case 'B':
                    sb.append(t.format(DateTimeFormatter.ofPattern("MMMM", Locale.ENGLISH)));
                    break;
                case 'a':
                    sb.append(t.format(DateTimeFormatter.ofPattern("EEE", Locale.ENGLISH)));
                    break;
                case 'A':
                    sb.append(t.format(DateTimeFormatter.ofPattern("EEEE", Locale.ENGLISH)));
                    break;
                case 'j':
                    sb.append(String.format("%03d", t.getDayOfYear()));
                    break;
                case '%':
                    sb.append('%');
                    break;
                default:
                    sb.append('%').append(d);
            }
        }
        return sb.toString();
    }
}
