package dev.finetune.templates;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Statement nodes; each renders itself into the output. */
abstract class Stmt {
    final int line;

    Stmt(int line) {
        this.line = line;
    }

    abstract void render(Scope scope, StringBuilder out);

    static void renderAll(List<Stmt> body, Scope scope, StringBuilder out) {
        for (Stmt s : body) {
            s.render(scope, out);
        }
    }

    static final class Text extends Stmt {
        final String text;

        Text(int line, String text) {
            super(line);
            this.text = text;
        }

        @Override
        void render(Scope scope, StringBuilder out) {
            out.append(text);
        }
    }

    static final class Print extends Stmt {
        final Expr expr;

        Print(int line, Expr expr) {
            super(line);
            this.expr = expr;
        }

        @Override
        void render(Scope scope, StringBuilder out) {
            out.append(PyOps.str(expr.eval(scope)));
        }
    }

    /** if / elif / else: {@code conds.get(i)} guards {@code bodies.get(i)}; a null condition is the else. */
    static final class If extends Stmt {
        final List<Expr> conds;
        final List<List<Stmt>> bodies;

        If(int line, List<Expr> conds, List<List<Stmt>> bodies) {
            super(line);
            this.conds = conds;
            this.bodies = bodies;
        }

        @Override
        void render(Scope scope, StringBuilder out) {
            for (int i = 0; i < conds.size(); i++) {
                if (conds.get(i) == null || PyOps.truthy(conds.get(i).eval(scope))) {
                    renderAll(bodies.get(i), scope, out); // if blocks share the enclosing scope
                    return;
                }
            }
        }
    }

    static final class For extends Stmt {
        final List<String> targets;
        final Expr iterable;
        final Expr filter;
        final List<Stmt> body;
        final List<Stmt> elseBody;

        For(int line, List<String> targets, Expr iterable, Expr filter, List<Stmt> body, List<Stmt> elseBody) {
            super(line);
            this.targets = targets;
            this.iterable = iterable;
            this.filter = filter;
            this.body = body;
            this.elseBody = elseBody;
        }

        @Override
        void render(Scope scope, StringBuilder out) {
            List<Object> items = new ArrayList<>();
            for (Object item : PyOps.iterate(iterable.eval(scope), line)) {
                if (filter == null || PyOps.truthy(filter.eval(bind(scope, item)))) {
                    items.add(item);
                }
            }
            if (items.isEmpty()) {
                renderAll(elseBody, new Scope(scope), out);
                return;
            }
            for (int i = 0; i < items.size(); i++) {
                Scope inner = bind(scope, items.get(i));
                inner.set("loop", new LoopInfo(items, i));
                try {
                    renderAll(body, inner, out);
                } catch (LoopControl c) {
                    if (c == LoopControl.BREAK) {
                        break;
                    }
                }
            }
        }

        private Scope bind(Scope scope, Object item) {
            Scope inner = new Scope(scope);
            if (targets.size() == 1) {
                inner.set(targets.get(0), item);
                return inner;
            }
            List<Object> parts = PyOps.iterate(item, line);
            if (parts.size() != targets.size()) {
                throw new TemplateException(
                        "line " + line + ": cannot unpack " + parts.size() + " values into " + targets);
            }
            for (int k = 0; k < targets.size(); k++) {
                inner.set(targets.get(k), parts.get(k));
            }
            return inner;
        }
    }

    /** break / continue (transformers enables jinja2.ext.loopcontrols). */
    static final class LoopControl extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final LoopControl BREAK = new LoopControl();
        static final LoopControl CONTINUE = new LoopControl();

        private LoopControl() {
            super(null, null, false, false);
        }
    }

    static final class Control extends Stmt {
        final LoopControl control;

        Control(int line, LoopControl control) {
            super(line);
            this.control = control;
        }

        @Override
        void render(Scope scope, StringBuilder out) {
            throw control;
        }
    }

    /** {@code set x = e}, {@code set a, b = e}, {@code set ns.attr = e}, or the block form {@code set x %}...}. */
    static final class Set extends Stmt {
        final List<String> names;
        final String attr;
        final Expr value;
        final List<Stmt> block;

        Set(int line, List<String> names, String attr, Expr value, List<Stmt> block) {
            super(line);
            this.names = names;
            this.attr = attr;
            this.value = value;
            this.block = block;
        }

        @Override
        void render(Scope scope, StringBuilder out) {
            Object v;
            if (block != null) {
                StringBuilder sb = new StringBuilder();
                renderAll(block, scope, sb);
                v = sb.toString();
            } else {
                v = value.eval(scope);
            }
            if (attr != null) {
                Object ns = scope.get(names.get(0));
                if (!(ns instanceof Namespace)) {
                    throw new TemplateException("line " + line + ": cannot assign attribute '" + attr + "' of '"
                            + names.get(0) + "': only a namespace() accepts attribute assignment");
                }
                ((Namespace) ns).put(attr, v);
            } else if (names.size() == 1) {
                scope.set(names.get(0), v);
            } else {
                List<Object> parts = PyOps.iterate(v, line);
                if (parts.size() != names.size()) {
                    throw new TemplateException(
                            "line " + line + ": cannot unpack " + parts.size() + " values into " + names);
                }
                for (int i = 0; i < names.size(); i++) {
                    scope.set(names.get(i), parts.get(i));
                }
            }
        }
    }

    static final class Macro extends Stmt implements PyCallable {
        final String name;
        final List<String> params;
        final Map<String, Expr> defaults;
        final List<Stmt> body;
        private Scope defined;

        Macro(int line, String name, List<String> params, Map<String, Expr> defaults, List<Stmt> body) {
            super(line);
            this.name = name;
            this.params = params;
            this.defaults = defaults;
            this.body = body;
        }

        @Override
        void render(Scope scope, StringBuilder out) {
            Macro bound = new Macro(line, name, params, defaults, body);
            bound.defined = scope;
            scope.set(name, bound);
        }

        @Override
        public Object call(List<Object> args, Map<String, Object> kwargs, int callLine) {
            if (args.size() > params.size()) {
                throw new TemplateException("line " + callLine + ": macro '" + name + "' takes " + params.size()
                        + " arguments, got " + args.size());
            }
            Scope inner = new Scope(defined);
            for (int i = 0; i < params.size(); i++) {
                String p = params.get(i);
                if (i < args.size()) {
                    inner.set(p, args.get(i));
                } else if (kwargs.containsKey(p)) {
                    inner.set(p, kwargs.get(p));
                } else if (defaults.containsKey(p)) {
                    inner.set(p, defaults.get(p).eval(inner));
                } else {
                    inner.set(p, new Undefined(p));
                }
            }
            StringBuilder sb = new StringBuilder();
            renderAll(body, inner, sb);
            return sb.toString();
        }
    }

    /** transformers' {% generation %} block (marks assistant text for its masks): rendered as its body. */
    static final class Block extends Stmt {
        final List<Stmt> body;

        Block(int line, List<Stmt> body) {
            super(line);
            this.body = body;
        }

        @Override
        void render(Scope scope, StringBuilder out) {
            renderAll(body, scope, out);
        }
    }

    /** Jinja's loop variable. */
    static final class LoopInfo extends LinkedHashMap<String, Object> {
        private static final long serialVersionUID = 1L;

        LoopInfo(List<Object> items, int i) {
            int n = items.size();
            put("index", (long) i + 1);
            put("index0", (long) i);
            put("revindex", (long) (n - i));
            put("revindex0", (long) (n - i - 1));
            put("first", i == 0);
            put("last", i == n - 1);
            put("length", (long) n);
            put("previtem", i > 0 ? items.get(i - 1) : new Undefined("loop.previtem"));
            put("nextitem", i < n - 1 ? items.get(i + 1) : new Undefined("loop.nextitem"));
            put("cycle", (PyCallable)
                    (args, kw, line) -> args.isEmpty() ? new Undefined("loop.cycle()") : args.get(i % args.size()));
        }
    }

    static List<Stmt> none() {
        return Collections.emptyList();
    }
}
