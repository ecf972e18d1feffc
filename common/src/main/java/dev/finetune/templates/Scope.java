package dev.finetune.templates;

import java.util.HashMap;
import java.util.Map;

/**
 * Variables visible at one point of a render. A for-loop body and a macro call get a child scope, so
 * {@code set} inside them does not leak out (Jinja's rule, which is why templates use {@code namespace()}).
 */
final class Scope {
    private final Map<String, Object> vars = new HashMap<>();
    private final Scope parent;

    Scope(Scope parent) {
        this.parent = parent;
    }

    Object get(String name) {
        for (Scope s = this; s != null; s = s.parent) {
            if (s.vars.containsKey(name)) {
                return s.vars.get(name);
            }
        }
        return new Undefined(name);
    }

    void set(String name, Object value) {
        vars.put(name, value);
    }
}
