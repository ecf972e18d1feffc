package dev.finetune.templates;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Expression nodes; each evaluates itself in a scope to a Python-like value (see {@link PyOps}). */
abstract class Expr {
    final int line;

    Expr(int line) {
        this.line = line;
    }

    abstract Object eval(Scope scope);

    static final class Literal extends Expr {
        final Object value;

        Literal(int line, Object value) {
            super(line);
            this.value = value;
        }

        @Override
        Object eval(Scope scope) {
            return value;
        }
    }

    static final class Name extends Expr {
        final String name;

        Name(int line, String name) {
            super(line);
            this.name = name;
        }

        @Override
        Object eval(Scope scope) {
            return scope.get(name);
        }
    }

    static final class ListLit extends Expr {
        final List<Expr> items;

        ListLit(int line, List<Expr> items) {
            super(line);
            this.items = items;
        }

        @Override
        Object eval(Scope scope) {
            List<Object> r = new ArrayList<>();
            for (Expr e : items) {
                r.add(e.eval(scope));
            }
            return r;
        }
    }

    static final class TupleLit extends Expr {
        final List<Expr> items;

        TupleLit(int line, List<Expr> items) {
            super(line);
            this.items = items;
        }

        @Override
        Object eval(Scope scope) {
            return new Tuple(evalAll(items, scope));
        }
    }

    static final class DictLit extends Expr {
        final List<Expr> keys;
        final List<Expr> values;

        DictLit(int line, List<Expr> keys, List<Expr> values) {
            super(line);
            this.keys = keys;
            this.values = values;
        }

        @Override
        Object eval(Scope scope) {
            Map<Object, Object> r = new LinkedHashMap<>();
            for (int i = 0; i < keys.size(); i++) {
                r.put(keys.get(i).eval(scope), values.get(i).eval(scope));
            }
            return r;
        }
    }

    static final class Attr extends Expr {
        final Expr target;
        final String name;

        Attr(int line, Expr target, String name) {
            super(line);
            this.target = target;
            this.name = name;
        }

        @Override
        Object eval(Scope scope) {
            return PyOps.getAttr(target.eval(scope), name, line);
        }
    }

    static final class Item extends Expr {
        final Expr target;
        final Expr key;

        Item(int line, Expr target, Expr key) {
            super(line);
            this.target = target;
            this.key = key;
        }

        @Override
        Object eval(Scope scope) {
            return PyOps.getItem(target.eval(scope), key.eval(scope), line);
        }
    }

    static final class Slice extends Expr {
        final Expr target;
        final Expr start;
        final Expr stop;
        final Expr step;

        Slice(int line, Expr target, Expr start, Expr stop, Expr step) {
            super(line);
            this.target = target;
            this.start = start;
            this.stop = stop;
            this.step = step;
        }

        @Override
        Object eval(Scope scope) {
            return PyOps.slice(target.eval(scope), opt(start, scope), opt(stop, scope), opt(step, scope), line);
        }

        private static Object opt(Expr e, Scope scope) {
            return e == null ? null : e.eval(scope);
        }
    }

    /** A call: {@code f(a, k=v)} on a global, macro or bound method. */
    static final class Call extends Expr {
        final Expr fn;
        final List<Expr> args;
        final Map<String, Expr> kwargs;

        Call(int line, Expr fn, List<Expr> args, Map<String, Expr> kwargs) {
            super(line);
            this.fn = fn;
            this.args = args;
            this.kwargs = kwargs;
        }

        @Override
        Object eval(Scope scope) {
            Object f = fn.eval(scope);
            if (!(f instanceof PyCallable)) {
                throw new TemplateException("line " + line + ": " + PyOps.describe(f, fn) + " is not callable");
            }
            return ((PyCallable) f).call(evalAll(args, scope), evalAll(kwargs, scope), line);
        }
    }

    static final class Filter extends Expr {
        final Expr target;
        final String name;
        final List<Expr> args;
        final Map<String, Expr> kwargs;

        Filter(int line, Expr target, String name, List<Expr> args, Map<String, Expr> kwargs) {
            super(line);
            this.target = target;
            this.name = name;
            this.args = args;
            this.kwargs = kwargs;
        }

        @Override
        Object eval(Scope scope) {
            return Builtins.filter(name, target.eval(scope), evalAll(args, scope), evalAll(kwargs, scope), scope, line);
        }
    }

    static final class Test extends Expr {
        final Expr target;
        final String name;
        final List<Expr> args;
        final boolean negated;

        Test(int line, Expr target, String name, List<Expr> args, boolean negated) {
            super(line);
            this.target = target;
            this.name = name;
            this.args = args;
            this.negated = negated;
        }

        @Override
        Object eval(Scope scope) {
            boolean r = Builtins.test(name, target.eval(scope), evalAll(args, scope), line);
            return negated != r;
        }
    }

    static final class Unary extends Expr {
        final String op;
        final Expr operand;

        Unary(int line, String op, Expr operand) {
            super(line);
            this.op = op;
            this.operand = operand;
        }

        @Override
        Object eval(Scope scope) {
            Object v = operand.eval(scope);
            if (op.equals("not")) {
                return !PyOps.truthy(v);
            }
            return PyOps.binary(op.equals("-") ? "*" : "+", op.equals("-") ? -1L : 0L, v, line);
        }
    }

    static final class Binary extends Expr {
        final String op;
        final Expr left;
        final Expr right;

        Binary(int line, String op, Expr left, Expr right) {
            super(line);
            this.op = op;
            this.left = left;
            this.right = right;
        }

        @Override
        Object eval(Scope scope) {
            Object l = left.eval(scope);
            switch (op) {
                case "and":
                    return PyOps.truthy(l) ? right.eval(scope) : l;
                case "or":
                    return PyOps.truthy(l) ? l : right.eval(scope);
                default:
                    return PyOps.binary(op, l, right.eval(scope), line);
            }
        }
    }

    /** {@code a if cond else b}; without else the value is undefined when cond is false. */
    static final class Conditional extends Expr {
        final Expr cond;
        final Expr then;
        final Expr otherwise;

        Conditional(int line, Expr cond, Expr then, Expr otherwise) {
            super(line);
            this.cond = cond;
            this.then = then;
            this.otherwise = otherwise;
        }

        @Override
        Object eval(Scope scope) {
            if (PyOps.truthy(cond.eval(scope))) {
                return then.eval(scope);
            }
            return otherwise == null ? new Undefined("conditional expression without else") : otherwise.eval(scope);
        }
    }

    static List<Object> evalAll(List<Expr> exprs, Scope scope) {
        List<Object> r = new ArrayList<>(exprs.size());
        for (Expr e : exprs) {
            r.add(e.eval(scope));
        }
        return r;
    }

    static Map<String, Object> evalAll(Map<String, Expr> exprs, Scope scope) {
        Map<String, Object> r = new LinkedHashMap<>();
        for (Map.Entry<String, Expr> e : exprs.entrySet()) {
            r.put(e.getKey(), e.getValue().eval(scope));
        }
        return r;
    }
}
