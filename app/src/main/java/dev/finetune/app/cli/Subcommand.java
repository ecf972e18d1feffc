package dev.finetune.app.cli;

import dev.finetune.config.Section;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One subcommand: its name, help, own flags, which configuration sections it reads, and what it does. Parsing
 * and --help are shared ({@link CommandLine}, {@link Help}); a subcommand only says what it needs.
 */
abstract class Subcommand {
    final String name;
    final String summary;

    Subcommand(String name, String summary) {
        this.name = name;
        this.summary = summary;
    }

    /** Paragraphs shown under the usage line: what it does, what it reads and writes, an example. */
    abstract String description();

    /** Flags other than configuration keys. */
    List<Flag> flags() {
        return Collections.emptyList();
    }

    /** Configuration sections whose keys this subcommand reads (shown in --help); empty: takes no config. */
    Set<Section> sections() {
        return EnumSet.noneOf(Section.class);
    }

    boolean takesConfig() {
        return !sections().isEmpty();
    }

    /** Runs it; returns the exit code. Errors in what the user wrote are ConfigException / UsageException. */
    abstract int run(CommandLine line, PrintStream out) throws Exception;

    /**
     * The log file for Spark, DJL and Hadoop messages while this runs ({@link LogFile}), or null to leave logging
     * as it is. Default: a local temp folder (a command that does not own a run folder must not create one).
     */
    java.nio.file.Path logFile(CommandLine line) {
        return LogFile.forOutputs(null, name);
    }

    static List<Flag> flags(Flag... flags) {
        return new ArrayList<>(Arrays.asList(flags));
    }
}
