package dev.finetune.templates;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Python semantics over Java values, as Jinja applies them: None = null, str = String, int = Long, float =
 * Double, bool = Boolean, list = List, dict = Map, plus {@link Undefined}. Input maps from JSON or Spark may
 * hold Integer, BigDecimal, arrays of other Number types; they are normalised where arithmetic needs it.
 */
final class PyOps {
    private PyOps() {}

    /** Markup behaves as its string outside concatenation. */
    static Object plain(Object v) {
        return v instanceof Markup ? ((Markup) v).text : v;
    }

    static boolean truthy(Object v) {
        v = plain(v);
        if (v == null || v instanceof Undefined) {
            return false;
        }
        if (v instanceof Boolean) {
            return (Boolean) v;
        }
        if (v instanceof String) {
            return !((String) v).isEmpty();
        }
        if (v instanceof Number) {
            return isInt(v) ? toLong(v) != 0 : toDouble(v) != 0.0;
        }
        if (v instanceof Collection) {
            return !((Collection<?>) v).isEmpty();
        }
        if (v instanceof Map) {
            return !((Map<?, ?>) v).isEmpty();
        }
        return true;
    }

    /** Python's str(): what {{ x }} prints. */
    static String str(Object v) {
        v = plain(v);
        if (v instanceof String) {
            return (String) v;
        }
        if (v instanceof Undefined) {
            return "";
        }
        return repr(v);
    }

    /** Python's repr(), used for containers and their elements. */
    static String repr(Object v) {
        v = plain(v);
        if (v == null) {
            return "None";
        }
        if (v instanceof Boolean) {
            return (Boolean) v ? "True" : "False";
        }
        if (v instanceof String) {
            String s = (String) v;
            char q = s.contains("'") && !s.contains("\"") ? '"' : '\'';
            StringBuilder sb = new StringBuilder().append(q);
            for (char c : s.toCharArray()) {
                if (c == q || c == '\\') {
                    sb.append('\\').append(c);
                } else if (c == '\n') {
                    sb.append("\\n");
                } else if (c == '\t') {
                    sb.append("\\t");
                } else if (c == '\r') {
                    sb.append("\\r");
                } else {
                    sb.append(c);
                }
            }
            return sb.append(q).toString();
        }
        if (v instanceof Number) {
            return isInt(v) ? String.valueOf(toLong(v)) : Json.formatDouble(toDouble(v));
        }
        if (v instanceof Undefined) {
            return "";
        }
        if (v instanceof Map) {
            StringBuilder sb = new StringBuilder("{");
            String sep = "";
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                sb.append(sep).append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
                sep = ", ";
            }
            return sb.append('}').toString();
        }
        if (v instanceof Collection) {
            boolean tuple = v instanceof Tuple;
            StringBuilder sb = new StringBuilder(tuple ? "(" : "[");
            String sep = "";
            for (Object o : (Collection<?>) v) {
                sb.append(sep).append(repr(o));
                sep = ", ";
            }
            if (tuple && ((Collection<?>) v).size() == 1) {
                sb.append(',');
            }
            return sb.append(tuple ? ')' : ']').toString();
        }
        return String.valueOf(v);
    }

    static boolean isInt(Object v) {
        return v instanceof Long
                || v instanceof Integer
                || v instanceof Short
                || v instanceof Byte
                || v instanceof BigInteger
                || (v instanceof BigDecimal && ((BigDecimal) v).scale() <= 0);
    }

    static boolean isNumber(Object v) {
        return v instanceof Number || v instanceof Boolean;
    }

    static long toLong(Object v) {
        return v instanceof Boolean ? ((Boolean) v ? 1 : 0) : ((Number) v).longValue();
    }

    static double toDouble(Object v) {
        return v instanceof Boolean ? ((Boolean) v ? 1 : 0) : ((Number) v).doubleValue();
    }

    /** {@code obj.name}: a method of str/dict/list first (as Python's getattr), then a dict key. */
    static Object getAttr(Object obj, String name, int line) {
        obj = plain(obj);
        if (obj instanceof Undefined) {
            throw ((Undefined) obj).error("line " + line + ": reading attribute '" + name + "'");
        }
        Object method = PyMethods.bind(obj, name);
        if (method != null) {
            return method;
        }
        if (obj instanceof Map) {
            Map<?, ?> m = (Map<?, ?>) obj;
            return m.containsKey(name) ? m.get(name) : new Undefined(name);
        }
        return new Undefined(name);
    }

    /** {@code obj[key]}: a dict key or a list/str index (negative counts from the end), then an attribute. */
    static Object getItem(Object obj, Object key, int line) {
        obj = plain(obj);
        key = plain(key);
        if (obj instanceof Undefined) {
            throw ((Undefined) obj).error("line " + line + ": reading item " + repr(key));
        }
        if (obj instanceof Map) {
            Map<?, ?> m = (Map<?, ?>) obj;
            if (m.containsKey(key)) {
                return m.get(key);
            }
            if (key instanceof Number) { // JSON keys are strings; a Long key would never match an Integer
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (equal(e.getKey(), key)) {
                        return e.getValue();
                    }
                }
            }
            return key instanceof String ? getAttr(obj, (String) key, line) : new Undefined(repr(key));
        }
        if ((obj instanceof List || obj instanceof String) && isInt(key)) {
            int n = obj instanceof List ? ((List<?>) obj).size() : ((String) obj).length();
            long i = toLong(key);
            if (i < 0) {
                i += n;
            }
            if (i < 0 || i >= n) {
                return new Undefined("index " + key);
            }
            return obj instanceof List ? ((List<?>) obj).get((int) i) : String.valueOf(((String) obj).charAt((int) i));
        }
        if (key instanceof String) {
            return getAttr(obj, (String) key, line);
        }
        return new Undefined(repr(key));
    }

    /** Python slicing {@code obj[start:stop:step]} of a list or str. */
    static Object slice(Object obj, Object start, Object stop, Object step, int line) {
        obj = plain(obj);
        List<Object> items;
        boolean isString = obj instanceof String;
        if (isString) {
            items = new ArrayList<>();
            for (char c : ((String) obj).toCharArray()) {
                items.add(c);
            }
        } else if (obj instanceof List) {
            items = new ArrayList<>((List<?>) obj);
        } else {
            throw new TemplateException("line " + line + ": cannot slice " + typeName(obj));
        }
        int n = items.size();
        long st = step == null ? 1 : toLong(step);
        if (st == 0) {
            throw new TemplateException("line " + line + ": slice step cannot be zero");
        }
        long lo;
        long hi;
        if (st > 0) {
            lo = start == null ? 0 : clamp(toLong(start), n, 0, n);
            hi = stop == null ? n : clamp(toLong(stop), n, 0, n);
        } else {
            lo = start == null ? n - 1 : clamp(toLong(start), n, -1, n - 1);
            hi = stop == null ? -1 : clamp(toLong(stop), n, -1, n - 1);
        }
        List<Object> out = new ArrayList<>();
        for (long i = lo; st > 0 ? i < hi : i > hi; i += st) {
            out.add(items.get((int) i));
        }
        if (!isString) {
            return out;
        }
        StringBuilder sb = new StringBuilder();
        for (Object c : out) {
            sb.append((char) (Character) c);
        }
        return sb.toString();
    }

    private static long clamp(long i, int n, long min, long max) {
        if (i < 0) {
            i += n;
        }
        return Math.max(min, Math.min(max, i));
    }

    /** What a for loop walks: list items, dict keys, str characters; undefined is empty, None an error. */
    @SuppressWarnings("unchecked")
    static List<Object> iterate(Object v, int line) {
        v = plain(v);
        if (v instanceof Undefined) {
            return new ArrayList<>();
        }
        if (v == null) {
            throw new TemplateException("line " + line + ": None is not iterable");
        }
        if (v instanceof List) {
            return (List<Object>) v;
        }
        if (v instanceof Collection) {
            return new ArrayList<>((Collection<Object>) v);
        }
        if (v instanceof Map) {
            return new ArrayList<>(((Map<Object, Object>) v).keySet());
        }
        if (v instanceof String) {
            List<Object> r = new ArrayList<>();
            String s = (String) v;
            for (int i = 0; i < s.length(); i++) {
                r.add(String.valueOf(s.charAt(i)));
            }
            return r;
        }
        throw new TemplateException("line " + line + ": " + typeName(v) + " is not iterable");
    }

    static boolean equal(Object a, Object b) {
        a = plain(a);
        b = plain(b);
        if (a instanceof Undefined || b instanceof Undefined) {
            return a instanceof Undefined && b instanceof Undefined;
        }
        if (isNumber(a) && isNumber(b) && (a instanceof Number || b instanceof Number)) {
            return isInt(a) && isInt(b) ? toLong(a) == toLong(b) : toDouble(a) == toDouble(b);
        }
        if (a instanceof List && b instanceof List) {
            List<?> x = (List<?>) a;
            List<?> y = (List<?>) b;
            if (x.size() != y.size()) {
                return false;
            }
            for (int i = 0; i < x.size(); i++) {
                if (!equal(x.get(i), y.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return Objects.equals(a, b);
    }

    static boolean contains(Object container, Object item, int line) {
        container = plain(container);
        item = plain(item);
        if (container instanceof String) {
            if (!(item instanceof String)) {
                throw new TemplateException("line " + line + ": 'in <string>' needs a string, got " + typeName(item));
            }
            return ((String) container).contains((String) item);
        }
        if (container instanceof Map) {
            return ((Map<?, ?>) container).containsKey(item);
        }
        if (container instanceof Collection) {
            for (Object o : (Collection<?>) container) {
                if (equal(o, item)) {
                    return true;
                }
            }
            return false;
        }
        if (container instanceof Undefined) {
            return false; // Jinja's Undefined iterates as empty
        }
        throw new TemplateException("line " + line + ": " + typeName(container) + " does not support 'in'");
    }

    @SuppressWarnings("unchecked")
    static int compare(Object a, Object b, String op, int line) {
        a = plain(a);
        b = plain(b);
        if (isNumber(a) && isNumber(b)) {
            return isInt(a) && isInt(b) ? Long.compare(toLong(a), toLong(b)) : Double.compare(toDouble(a), toDouble(b));
        }
        if (a instanceof String && b instanceof String) {
            return ((String) a).compareTo((String) b);
        }
        throw new TemplateException(
                "line " + line + ": '" + op + "' not supported between " + typeName(a) + " and " + typeName(b));
    }

    @SuppressWarnings("unchecked")
    static Object binary(String op, Object l, Object r, int line) {
        switch (op) {
            case "==":
                return equal(l, r);
            case "!=":
                return !equal(l, r);
            case "<":
                return compare(l, r, op, line) < 0;
            case "<=":
                return compare(l, r, op, line) <= 0;
            case ">":
                return compare(l, r, op, line) > 0;
            case ">=":
                return compare(l, r, op, line) >= 0;
            case "in":
                return contains(r, l, line);
            case "~":
                return str(l) + str(r);
            default:
                break;
        }
        for (Object v : new Object[] {l, r}) {
            if (v instanceof Undefined) {
                throw ((Undefined) v).error("line " + line + ": operator '" + op + "'");
            }
        }
        if (op.equals("+")
                && (l instanceof Markup || r instanceof Markup)
                && (l instanceof Markup || l instanceof String)
                && (r instanceof Markup || r instanceof String)) {
            return new Markup(Markup.escaped(l) + Markup.escaped(r));
        }
        if (op.equals("%") && l instanceof Markup) {
            return new Markup(pyFormat(((Markup) l).text, Markup.escaped(r), line));
        }
        l = plain(l);
        r = plain(r);
        if (op.equals("+")) {
            if (l instanceof String && r instanceof String) {
                return (String) l + r;
            }
            if (l instanceof List && r instanceof List) {
                List<Object> out = new ArrayList<>((List<Object>) l);
                out.addAll((List<Object>) r);
                return out;
            }
        }
        if (op.equals("*") && (l instanceof String || r instanceof String) && (isInt(l) || isInt(r))) {
            String s = l instanceof String ? (String) l : (String) r;
            long n = l instanceof String ? toLong(r) : toLong(l);
            StringBuilder sb = new StringBuilder();
            for (long i = 0; i < n; i++) {
                sb.append(s);
            }
            return sb.toString();
        }
        if (!isNumber(l) || !isNumber(r)) {
            throw new TemplateException("line " + line + ": unsupported operand types for " + op + ": " + typeName(l)
                    + " and " + typeName(r));
        }
        boolean ints = isInt(l) && isInt(r) || l instanceof Boolean || r instanceof Boolean;
        ints = ints && !(l instanceof Double || l instanceof Float || r instanceof Double || r instanceof Float);
        switch (op) {
            case "+":
                return ints ? (Object) (toLong(l) + toLong(r)) : (Object) (toDouble(l) + toDouble(r));
            case "-":
                return ints ? (Object) (toLong(l) - toLong(r)) : (Object) (toDouble(l) - toDouble(r));
            case "*":
                return ints ? (Object) (toLong(l) * toLong(r)) : (Object) (toDouble(l) * toDouble(r));
            case "/":
                checkNonZero(toDouble(r), line);
                return toDouble(l) / toDouble(r);
            case "//":
                checkNonZero(toDouble(r), line);
                return ints
                        ? (Object) Math.floorDiv(toLong(l), toLong(r))
                        : (Object) Math.floor(toDouble(l) / toDouble(r));
            case "%":
                checkNonZero(toDouble(r), line);
                if (ints) {
                    return Math.floorMod(toLong(l), toLong(r));
                }
                double m = toDouble(l) % toDouble(r);
                return m != 0 && (m < 0) != (toDouble(r) < 0) ? m + toDouble(r) : m;
            case "**":
                if (ints && toLong(r) >= 0) {
                    return BigInteger.valueOf(toLong(l)).pow((int) toLong(r)).longValue();
                }
                return Math.pow(toDouble(l), toDouble(r));
            default:
                throw new TemplateException("line " + line + ": unknown operator " + op);
        }
    }

    /** {@code "..." % value} with one %s: the only printf form chat templates use. */
    private static String pyFormat(String fmt, String value, int line) {
        int i = fmt.indexOf("%s");
        if (i < 0 || fmt.indexOf("%s", i + 2) >= 0) {
            throw new TemplateException("line " + line + ": only a single %s is supported in '%' formatting");
        }
        return fmt.substring(0, i) + value + fmt.substring(i + 2);
    }

    private static void checkNonZero(double d, int line) {
        if (d == 0) {
            throw new TemplateException("line " + line + ": division by zero");
        }
    }

    static String typeName(Object v) {
        if (v == null) {
            return "None";
        }
        if (v instanceof Undefined) {
            return "undefined '" + ((Undefined) v).name + "'";
        }
        if (v instanceof String || v instanceof Markup) {
            return "str";
        }
        if (v instanceof Boolean) {
            return "bool";
        }
        if (v instanceof Number) {
            return isInt(v) ? "int" : "float";
        }
        if (v instanceof Map) {
            return "dict";
        }
        if (v instanceof Collection) {
            return "list";
        }
        return v.getClass().getSimpleName();
    }

    static String describe(Object v, Expr e) {
        if (e instanceof Expr.Name) {
            return "'" + ((Expr.Name) e).name + "' (" + typeName(v) + ")";
        }
        if (e instanceof Expr.Attr) {
            return "'" + ((Expr.Attr) e).name + "' (" + typeName(v) + ")";
        }
        return typeName(v);
    }
}
