package dev.finetune.trainer.cli;

import dev.finetune.config.ConfigException;
import dev.finetune.config.ConfigSchema;
import dev.finetune.hub.HubAccessException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one entry point: {@code jobs/finetune <subcommand> ...} and
 * {@code spark-submit --class dev.finetune.trainer.cli.Main <jar> <subcommand> ...}.
 *
 * <p>Exit codes: 0 done, 1 failed while running, 2 a mistake in the command line or configuration (the message
 * says what to change), 3 the subcommand is not part of this build.
 */
public final class Main {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;
    static final int UNAVAILABLE = 3;

    private Main() {}

    public static void main(String[] args) {
        // a libtorch named by PYTORCH_LIBRARY_PATH needs the flavor DJL's JNI jar has (before DJL loads)
        dev.finetune.trainer.distributed.LocalLibtorch.configure(System.getenv());
        int rc = run(args, System.out, System.err);
        System.out.flush();
        // Spark and DJL leave non-daemon threads behind; the exit code is the result either way
        System.exit(rc);
    }

    /** Every subcommand, in the order help lists them. */
    static Map<String, Subcommand> commands() {
        Map<String, Subcommand> m = new LinkedHashMap<>();
        for (Subcommand c : Commands.all()) {
            m.put(c.name, c);
        }
        return m;
    }

    /** Runs one command line; never calls System.exit (tests call this). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Map<String, Subcommand> commands = commands();
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            if (args.length > 1 && commands.containsKey(args[1])) {
                out.print(Help.of(commands.get(args[1])));
            } else {
                out.print(overview(commands));
            }
            return args.length == 0 ? USAGE : OK;
        }
        Subcommand command = commands.get(args[0]);
        if (command == null) {
            err.println("error: unknown subcommand '" + args[0] + "'"
                    + ConfigSchema.suggestion(args[0], new ArrayList<>(commands.keySet()))
                    + "\nRun `jobs/finetune --help` for the list.");
            return USAGE;
        }
        try {
            CommandLine line = CommandLine.parse(command, Arrays.copyOfRange(args, 1, args.length));
            if (line.helpRequested()) {
                out.print(Help.of(command));
                return OK;
            }
            return command.run(line, out);
        } catch (UnavailableException e) {
            err.println("error: `" + command.name + "` cannot run in this build: " + e.getMessage());
            return UNAVAILABLE;
        } catch (UsageException | ConfigException e) {
            err.println("error: " + e.getMessage());
            err.println("Run `jobs/finetune " + command.name + " --help` for the options.");
            return USAGE;
        } catch (Exception e) {
            Throwable user = userCause(e);
            if (user != null) {
                err.println("error: " + command.name + ": " + user.getMessage());
                return USAGE;
            }
            err.println("error: " + command.name + " failed: " + e);
            e.printStackTrace(err);
            return FAILED;
        }
    }

    /**
     * The first cause that is a mistake in the input (bad data, a refused Hub request, a bad option deep in a
     * step) rather than a bug: its message is for the user, no stack trace needed. Null otherwise.
     */
    static Throwable userCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConfigException || t instanceof IllegalArgumentException
                    || t instanceof HubAccessException) {
                return t;
            }
        }
        return null;
    }

    static String overview(Map<String, Subcommand> commands) {
        StringBuilder sb = new StringBuilder();
        sb.append("finetune: QLoRA fine-tuning of Hugging Face LLMs on Spark + DJL\n\n");
        sb.append("Usage: jobs/finetune <subcommand> [--config conf/FILE.yaml] [--key value ...]\n\n");
        sb.append("Subcommands:\n");
        for (Subcommand c : commands.values()) {
            StringBuilder name = new StringBuilder("  " + c.name);
            while (name.length() < 12) {
                name.append(' ');
            }
            sb.append(name).append(c.summary).append('\n');
        }
        sb.append("\nStart with `jobs/finetune demo` (offline, a few minutes on a CPU).\n");
        sb.append("`jobs/finetune <subcommand> --help` explains every option.\n");
        return sb.toString();
    }
}
