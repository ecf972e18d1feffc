package dev.finetune.app.cli;

import dev.finetune.config.ConfigLoader;
import dev.finetune.config.ConfigSchema;
import dev.finetune.config.RunConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed command line: the subcommand's own flags, {@code --config FILE}, and configuration keys given as
 * {@code --kebab-case} flags. Accepts {@code --flag value} and {@code --flag=value}; a switch or boolean key may
 * stand alone (true) or take true/false; {@code --no-<boolean key>} sets it false.
 */
final class CommandLine {
    private final Subcommand command;
    private final Map<String, String> own = new LinkedHashMap<>();
    private final Map<String, List<String>> repeated = new LinkedHashMap<>();
    private final Map<String, String> overrides = new LinkedHashMap<>();
    private String configFile;
    private boolean help;
    private RunConfig config;

    private String[] arguments = new String[0];

    private CommandLine(Subcommand command) {
        this.command = command;
    }

    /** The arguments as given (for manifests: the command that produced an output). */
    String[] arguments() {
        return arguments.clone();
    }

    static CommandLine parse(Subcommand command, String[] args) {
        CommandLine line = new CommandLine(command);
        line.arguments = args.clone();
        ConfigSchema schema = ConfigSchema.get();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                line.help = true;
                continue;
            }
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new UsageException("unexpected argument '" + arg + "' (options start with --)");
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Flag flag = line.ownFlag(name);
            boolean booleanKey = command.takesConfig()
                    && schema.byFlag(name) != null
                    && schema.byFlag(name).isBoolean();
            if (value == null && (flag != null && flag.isSwitch() || booleanKey)) {
                if (i + 1 < args.length && args[i + 1].matches("(?i)true|false")) {
                    value = args[++i];
                } else {
                    value = "true";
                }
            } else if (value == null
                    && name.startsWith("no-")
                    && command.takesConfig()
                    && schema.byFlag(name.substring(3)) != null
                    && schema.byFlag(name.substring(3)).isBoolean()) {
                name = name.substring(3);
                value = "false";
            } else if (value == null) {
                if (i + 1 >= args.length) {
                    throw new UsageException("--" + name + " needs a value");
                }
                value = args[++i];
            }
            if (flag != null) {
                line.own.put(name, value);
                line.repeated.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            } else if (name.equals("config") && command.takesConfig()) {
                line.configFile = value;
            } else if (command.takesConfig() && schema.byFlag(name) != null) {
                line.overrides.put(schema.byFlag(name).name, value);
            } else {
                throw new UsageException("unknown option --" + name + " for " + command.name
                        + ConfigSchema.suggestion(name, line.knownFlags()).replaceFirst("'", "'--"));
            }
        }
        return line;
    }

    private Flag ownFlag(String name) {
        for (Flag f : command.flags()) {
            if (f.name.equals(name)) {
                return f;
            }
        }
        return null;
    }

    private List<String> knownFlags() {
        List<String> names = new ArrayList<>();
        for (Flag f : command.flags()) {
            names.add(f.name);
        }
        if (command.takesConfig()) {
            names.add("config");
            names.addAll(ConfigSchema.get().flags());
        }
        return names;
    }

    boolean helpRequested() {
        return help;
    }

    Subcommand command() {
        return command;
    }

    /** The value of an own flag, or null when not given. */
    String get(String flag) {
        return own.get(flag);
    }

    /** Every value of a flag given several times, in order (empty when not given). */
    List<String> getAll(String flag) {
        List<String> v = repeated.get(flag);
        return v == null ? new ArrayList<>() : new ArrayList<>(v);
    }

    String get(String flag, String fallback) {
        String v = own.get(flag);
        return v != null ? v : fallback;
    }

    boolean has(String flag) {
        return own.containsKey(flag);
    }

    boolean isOn(String flag) {
        return "true".equalsIgnoreCase(own.get(flag));
    }

    int getInt(String flag, int fallback) {
        String v = own.get(flag);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + flag + " takes an integer, got '" + v + "'");
        }
    }

    /** The --config location as given: a local path or a Hadoop URI (gs://...). */
    String configFile() {
        return configFile;
    }

    /** Configuration keys given as flags, snake_case key → text as typed. */
    Map<String, String> overrides() {
        return overrides;
    }

    /** The resolved, validated configuration (file, then flags); loaded once. */
    RunConfig config() {
        if (config == null) {
            config = ConfigLoader.loadFrom(configFile, overrides);
        }
        return config;
    }
}
