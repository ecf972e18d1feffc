package dev.finetune.pipeline.spark;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link PrepareMain}'s flags ({@code --max-seq-length 1024} or {@code --max-seq-length=1024}) → {@link PrepareOptions},
 * named after PrepareOptions' fields.
 */
public final class PrepareArgs {
    private PrepareArgs() {}

    public static PrepareOptions parse(String[] args) {
        PrepareOptions o = new PrepareOptions();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException(
                        "unexpected argument \"" + a + "\"; flags look like --name value\n" + usage());
            }
            String name = a.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            boolean negated = name.startsWith("no-");
            Field f = field(negated ? name.substring(3) : name);
            if (f == null) {
                throw new IllegalArgumentException("unknown flag --" + name + "\n" + usage());
            }
            if (f.getType() == boolean.class) {
                set(o, f, negated ? "false" : value == null ? "true" : value);
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("flag --" + name + " needs a value\n" + usage());
                }
                value = args[++i];
            }
            set(o, f, value);
        }
        return o;
    }

    private static Field field(String kebab) {
        StringBuilder camel = new StringBuilder();
        boolean up = false;
        for (char c : kebab.toCharArray()) {
            if (c == '-') {
                up = true;
            } else {
                camel.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        try {
            Field f = PrepareOptions.class.getField(camel.toString());
            return Modifier.isStatic(f.getModifiers()) ? null : f;
        } catch (NoSuchFieldException e) {
            return null;
        }
    }

    private static void set(PrepareOptions o, Field f, String value) {
        String flag = "--" + kebab(f.getName());
        try {
            Class<?> t = f.getType();
            if (t == String.class) {
                f.set(o, value);
            } else if (t == int.class) {
                f.setInt(o, Integer.parseInt(value));
            } else if (t == long.class) {
                f.setLong(o, Long.parseLong(value));
            } else if (t == double.class) {
                f.setDouble(o, Double.parseDouble(value));
            } else if (t == boolean.class) {
                if (!"true".equalsIgnoreCase(value) && !"false".equalsIgnoreCase(value)) {
                    throw new IllegalArgumentException(flag + ": \"" + value + "\" is not true or false");
                }
                f.setBoolean(o, Boolean.parseBoolean(value));
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    flag + ": \"" + value + "\" is not a " + f.getType().getName());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("option field " + f.getName() + " not public", e);
        }
    }

    static String kebab(String camel) {
        StringBuilder sb = new StringBuilder();
        for (char c : camel.toCharArray()) {
            if (Character.isUpperCase(c)) {
                sb.append('-').append(Character.toLowerCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** One line per flag with its type and default. */
    public static String usage() {
        PrepareOptions defaults = new PrepareOptions();
        List<String> lines = new ArrayList<>();
        lines.add("usage: prepare --source <hf://datasets/org/name | paths> --output <dir> --tokenizer <dir> [flags]");
        for (Field f : PrepareOptions.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers())) {
                continue;
            }
            try {
                lines.add(String.format(
                        "  --%-20s %-8s default %s",
                        kebab(f.getName()), f.getType().getSimpleName(), f.get(defaults)));
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return String.join("\n", lines);
    }
}
