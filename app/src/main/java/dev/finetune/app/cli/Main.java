package dev.finetune.app.cli;

import dev.finetune.config.ConfigException;
import dev.finetune.config.ConfigSchema;
import dev.finetune.hub.HubAccessException;
import dev.finetune.shards.ShardFormatException;
import dev.finetune.storage.OutputExistsException;
import dev.finetune.templates.TemplateException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one entry point: {@code jobs/finetune <subcommand> ...} and
 * {@code spark-submit --class dev.finetune.app.cli.Main <jar> <subcommand> ...}.
 *
 * <p>Exit codes: 0 done, 1 failed while running, 2 a mistake in the command line, configuration or input (the
 * message says what to change), 3 the subcommand is not part of this build.
 *
 * <p>A failure prints one line, {@code error: ...}; its stack trace goes to the run's log file ({@link LogFile}),
 * and also to the console with {@code --debug} (accepted anywhere on the command line).
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
        int rc = run(args, System.out, System.err, true);
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

    /** Runs one command line; never calls System.exit (tests call this); logging is left as it is. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, false);
    }

    /** Runs one command line; with {@code logToFile}, Spark/DJL/Hadoop logging goes to the run's log file. */
    static int run(String[] given, PrintStream out, PrintStream err, boolean logToFile) {
        return run(given, out, err, logToFile, commands());
    }

    /** {@link #run(String[], PrintStream, PrintStream, boolean)} over a given set of subcommands (tests). */
    static int run(
            String[] given, PrintStream out, PrintStream err, boolean logToFile, Map<String, Subcommand> commands) {
        List<String> kept = new ArrayList<>(Arrays.asList(given));
        boolean debug = kept.removeIf("--debug"::equals);
        String[] args = kept.toArray(new String[0]);
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
                    + " (`jobs/finetune --help` lists them)");
            return USAGE;
        }
        try {
            CommandLine line = CommandLine.parse(command, Arrays.copyOfRange(args, 1, args.length));
            if (line.helpRequested()) {
                out.print(Help.of(command));
                return OK;
            }
            if (logToFile && !LogFile.underSparkSubmit()) {
                Path file = command.logFile(line);
                if (file != null) {
                    try {
                        LogFile.redirect(file);
                        out.println(command.name + ": Spark, DJL and Hadoop messages go to " + file);
                    } catch (IOException e) {
                        out.println(command.name + ": cannot write " + file + " (" + e.getMessage() + "); Spark, "
                                + "DJL and Hadoop messages stay on the console");
                    }
                }
            }
            return command.run(line, out);
        } catch (UnavailableException e) {
            err.println("error: `" + command.name + "` cannot run in this build: " + e.getMessage());
            return UNAVAILABLE;
        } catch (UsageException | ConfigException e) {
            err.println("error: " + command.name + ": " + oneLine(e.getMessage()) + " (`jobs/finetune " + command.name
                    + " --help` lists the options)");
            return USAGE;
        } catch (Throwable e) {
            LogFile.failure(command.name + " failed", e);
            if (debug) {
                e.printStackTrace(err);
            }
            Throwable user = userCause(e);
            if (user != null) {
                err.println("error: " + command.name + ": " + oneLine(user.getMessage()));
                return USAGE;
            }
            String full = diskFull(e);
            if (full != null) {
                err.println("error: " + command.name + ": the disk is full (" + full + "); free space there, or "
                        + "set base_save_dir (and DJL_CACHE_DIR, java.io.tmpdir) to a disk with room, then run it "
                        + "again (train resumes from its last checkpoint)");
                return FAILED;
            }
            if (first(e, OutOfMemoryError.class) != null) {
                err.println("error: " + command.name + ": the JVM ran out of memory ("
                        + oneLine(
                                String.valueOf(first(e, OutOfMemoryError.class).getMessage()))
                        + "); give it more with FINETUNE_JAVA_OPTS="
                        + "-Xmx<size> (e.g. -Xmx24g), or lower batch_size and max_seq_length");
                return FAILED;
            }
            Path log = LogFile.active();
            String where = debug
                    ? ""
                    : log != null
                            ? " (stack trace in " + log + "; --debug prints it here)"
                            : " (--debug prints the stack trace)";
            IOException io = first(e, IOException.class);
            if (io != null && io.getMessage() != null) {
                // our own I/O errors name the file and the fix; a library's at least name the file
                err.println("error: " + command.name + ": " + oneLine(io.getMessage()) + where);
            } else {
                err.println("error: " + command.name + " failed: " + oneLine(String.valueOf(e)) + where);
            }
            return FAILED;
        }
    }

    /** The first line of a message (some libraries' messages run over several lines). */
    static String oneLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl).trim() + " ...";
    }

    /**
     * The message of a "no space left" failure anywhere in the causes (Hadoop's local file system wraps it in an
     * FSError, which is an Error, not an exception), or null.
     */
    static String diskFull(Throwable e) {
        String found = null;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            if (m != null && m.contains("No space left on device")) {
                found = m; // the innermost says it plainest
            }
        }
        return found;
    }

    /**
     * The first cause that is a mistake in the input (bad data, a refused Hub request, a bad option deep in a
     * step) rather than a bug: its message is for the user, no stack trace needed. Null otherwise.
     */
    static Throwable userCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConfigException
                    || t instanceof IllegalArgumentException
                    || t instanceof HubAccessException
                    || t instanceof ShardFormatException
                    || t instanceof OutputExistsException
                    || t instanceof TemplateException) {
                return t;
            }
        }
        return null;
    }

    /** The first of {@code e} and its causes that is a {@code type}, or null. */
    static <T extends Throwable> T first(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
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
