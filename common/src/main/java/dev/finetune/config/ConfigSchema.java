package dev.finetune.config;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The table of configuration keys, derived once from {@link RunConfig}'s fields (names as Jackson binds them,
 * help from {@link Option}). Flags, --help, the README reference and "did you mean" suggestions all read it, so
 * a key added to RunConfig appears everywhere.
 */
public final class ConfigSchema {

    /** One configuration key. */
    public static final class Key {
        /** snake_case, as in YAML. */
        public final String name;
        /** kebab-case, without the leading dashes. */
        public final String flag;

        public final Section section;
        public final String help;
        /** The default as the user would write it (a derived path for some keys). */
        public final String defaultText;

        final Field field;

        Key(String name, Field field, Option option, Object defaultValue) {
            this.name = name;
            this.flag = kebab(name);
            this.field = field;
            this.section = option.section();
            this.help = option.help();
            this.defaultText = !option.defaultText().isEmpty() ? option.defaultText() : render(defaultValue);
        }

        public Class<?> type() {
            return field.getType();
        }

        public boolean isBoolean() {
            return field.getType() == boolean.class;
        }

        public boolean isList() {
            return List.class.isAssignableFrom(field.getType());
        }

        /** A word for the value's kind, used in help (e.g. {@code --lora-r INT}). */
        public String valueName() {
            Class<?> t = field.getType();
            if (t == int.class || t == long.class) {
                return "INT";
            } else if (t == double.class) {
                return "NUM";
            } else if (t == boolean.class) {
                return "true|false";
            } else if (isList()) {
                return "A,B,...";
            }
            return "TEXT";
        }

        public Object get(RunConfig config) {
            try {
                return field.get(config);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }

        private static String render(Object v) {
            if (v == null) {
                return "";
            }
            if (v instanceof List) {
                List<?> l = (List<?>) v;
                return l.isEmpty() ? "[]" : String.join(",", toStrings(l));
            }
            return String.valueOf(v);
        }

        private static List<String> toStrings(List<?> l) {
            List<String> out = new ArrayList<>();
            for (Object o : l) {
                out.add(String.valueOf(o));
            }
            return out;
        }
    }

    private static final ConfigSchema INSTANCE = new ConfigSchema(ConfigLoader.mapper());

    private final List<Key> keys;
    private final Map<String, Key> byName = new HashMap<>();
    private final Map<String, Key> byFlag = new HashMap<>();
    private final Map<String, Key> byField = new HashMap<>();

    private ConfigSchema(ObjectMapper mapper) {
        BeanDescription desc = mapper.getDeserializationConfig().introspect(mapper.constructType(RunConfig.class));
        Map<String, String> jsonNames = new HashMap<>();
        for (BeanPropertyDefinition p : desc.findProperties()) {
            jsonNames.put(p.getInternalName(), p.getName());
        }
        RunConfig defaults = new RunConfig();
        List<Key> list = new ArrayList<>();
        for (Field f : RunConfig.class.getDeclaredFields()) {
            Option option = f.getAnnotation(Option.class);
            if (option == null || Modifier.isStatic(f.getModifiers())) {
                continue;
            }
            String name = jsonNames.get(f.getName());
            if (name == null) {
                throw new IllegalStateException("RunConfig." + f.getName() + " is not bound by Jackson");
            }
            try {
                Key k = new Key(name, f, option, f.get(defaults));
                list.add(k);
                byName.put(k.name, k);
                byFlag.put(k.flag, k);
                byField.put(f.getName(), k);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        keys = Collections.unmodifiableList(list);
    }

    public static ConfigSchema get() {
        return INSTANCE;
    }

    /** Every key, in RunConfig's order (grouped by section). */
    public List<Key> keys() {
        return keys;
    }

    public List<Key> keys(Section section) {
        List<Key> out = new ArrayList<>();
        for (Key k : keys) {
            if (k.section == section) {
                out.add(k);
            }
        }
        return out;
    }

    /**
     * A section value's fields under their configuration keys, in declaration order: each public field of a
     * section class is named as the RunConfig field it holds, so its key is that field's.
     *
     * @throws IllegalStateException for a field that names no key (a section field must be a key)
     */
    public Map<String, Object> valuesOf(Object section) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        for (Field f : section.getClass().getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) || !Modifier.isPublic(f.getModifiers())) {
                continue;
            }
            Key k = byField.get(f.getName());
            if (k == null) {
                throw new IllegalStateException(
                        section.getClass().getSimpleName() + "." + f.getName() + " is not a RunConfig key");
            }
            try {
                Object v = f.get(section);
                out.put(k.name, v instanceof List ? new ArrayList<>((List<?>) v) : v);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    /** @throws ConfigException for an unknown key, with a suggestion */
    public Key key(String name) {
        Key k = byName.get(name);
        if (k == null) {
            throw new ConfigException("unknown key '" + name + "'" + suggestion(name, byName.keySet()));
        }
        return k;
    }

    public boolean has(String name) {
        return byName.containsKey(name);
    }

    /** The key for a flag written without dashes ({@code lora-r}), or null. */
    public Key byFlag(String flag) {
        return byFlag.get(flag);
    }

    public Collection<String> flags() {
        return byFlag.keySet();
    }

    public Collection<String> names() {
        return byName.keySet();
    }

    public static String kebab(String snake) {
        return snake.replace('_', '-');
    }

    /**
     * "; did you mean 'x'?" for the closest candidate, or "" when none is close. Case and -/_ are ignored
     * first, so the notebook's LORA_R finds lora_r.
     */
    public static String suggestion(String wrong, Collection<String> candidates) {
        String w = normalize(wrong);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(w, normalize(c));
            if (d < bestDistance || (d == bestDistance && best != null && c.compareTo(best) < 0)) {
                best = c;
                bestDistance = d;
            }
        }
        if (best == null || bestDistance > Math.max(2, w.length() / 3)) {
            return "";
        }
        return "; did you mean '" + best + "'?";
    }

    private static String normalize(String s) {
        return s.toLowerCase(Locale.ROOT).replace('-', '_');
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
