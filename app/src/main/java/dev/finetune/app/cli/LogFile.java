package dev.finetune.app.cli;

import dev.finetune.storage.RunLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;

/**
 * The run's log file: Spark, Hadoop and DJL log through log4j 2 (DJL through slf4j), and a local run sends all
 * of it, INFO and above, to {@code <base_save_dir>/<project_name>/logs/finetune.log} (a local temp folder when
 * the outputs are on gs://), appended by every command of the run, so the console holds only the commands' own
 * lines. The stack trace of a failed command goes there too ({@code --debug} also prints it). Under
 * spark-submit the cluster's logging configuration is left alone.
 */
final class LogFile {
    private static volatile Path active;

    private LogFile() {}

    /** The file log4j writes to, or null when logging is not redirected (tests, spark-submit). */
    static Path active() {
        return active;
    }

    /** True when spark-submit started this JVM ({@link SparkSubmitDriver}). */
    static boolean underSparkSubmit() {
        return SparkSubmitDriver.inThisJvm();
    }

    /**
     * Where a command writes its log: the run's {@code logs/finetune.log} when the run folder is local, else
     * {@code <java.io.tmpdir>/finetune-logs/<project or command>.log}.
     */
    static Path forOutputs(RunLayout layout, String command) {
        String outputDir = layout == null ? null : layout.runDir();
        if (outputDir != null && !outputDir.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
            return Paths.get(layout.logFile()).toAbsolutePath().normalize();
        }
        String project =
                outputDir == null ? "" : outputDir.replaceAll("/+$", "").replaceAll(".*/", "");
        return Paths.get(
                        System.getProperty("java.io.tmpdir"),
                        "finetune-logs",
                        (project.isEmpty() ? command : project) + ".log")
                .toAbsolutePath();
    }

    /** Sends every log4j event at INFO and above to {@code file} (appended), none to the console. */
    static void redirect(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        ConfigurationBuilder<BuiltConfiguration> b = ConfigurationBuilderFactory.newConfigurationBuilder();
        b.setStatusLevel(Level.ERROR);
        b.setConfigurationName("finetune-log-file");
        b.add(b.newAppender("file", "File")
                .addAttribute("fileName", file.toString())
                .addAttribute("append", true)
                .add(b.newLayout("PatternLayout")
                        .addAttribute("pattern", "%d{yyyy-MM-dd HH:mm:ss} %p %c{1}: %m%n%ex")));
        // as Spark's own defaults: the chattiest third-party loggers at WARN
        for (String quiet : new String[] {
            "org.sparkproject.jetty", "org.apache.parquet", "parquet", "org.apache.hadoop.util.NativeCodeLoader"
        }) {
            b.add(b.newLogger(quiet, Level.WARN).add(b.newAppenderRef("file")).addAttribute("additivity", false));
        }
        b.add(b.newRootLogger(Level.INFO).add(b.newAppenderRef("file")));
        Configurator.reconfigure(b.build());
        active = file;
    }

    /** Writes a failure with its stack trace to the log (the file when redirected). */
    static void failure(String what, Throwable t) {
        Logger log = LogManager.getLogger("finetune");
        log.error(what, t);
    }
}
