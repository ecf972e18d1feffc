package dev.finetune.pipeline.spark;

import dev.finetune.pipeline.ingest.RecordEncoderFactory;
import dev.finetune.pipeline.ingest.TokenizerEncoderFactory;
import java.io.IOException;
import java.util.function.Function;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The prepare job as a process of its own, for tests that kill it mid-run ({@code KillableChild}); users run
 * prepare through the CLI. Exit status 0 on success or when the output is already complete, 2 for bad input
 * (the message says what to change), 1 for other failures.
 */
public final class PrepareMain {
    private PrepareMain() {}

    public static void main(String[] args) {
        System.exit(run(args, o -> new TokenizerEncoderFactory(o.tokenizer, o.records())));
    }

    public static int run(String[] args, Function<PrepareOptions, RecordEncoderFactory> encoders) {
        PrepareOptions options;
        try {
            options = PrepareArgs.parse(args).validate();
        } catch (IllegalArgumentException e) {
            System.err.println("ERROR " + e.getMessage());
            return 2;
        }
        SparkSession.Builder builder = SparkSession.builder().appName("finetune prepare");
        if (options.master != null) {
            builder.master(options.master);
        } else if (!new SparkConf().contains("spark.master")) {
            builder.master("local[*]"); // not under spark-submit: run on this machine
        }
        SparkSession spark = builder.getOrCreate();
        try {
            new PrepareJob(spark, options, encoders.apply(options), "prepare " + String.join(" ", args)).run();
            return 0;
        } catch (Exception e) {
            Throwable cause = userCause(e);
            if (cause != null) {
                System.err.println("ERROR " + cause.getMessage());
                return 2;
            }
            System.err.println("ERROR prepare failed: " + e);
            e.printStackTrace();
            return 1;
        } finally {
            spark.stop();
        }
    }

    /** The first cause that carries a message meant for the user (bad input, unreadable files), or null. */
    static Throwable userCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IllegalArgumentException
                    || t instanceof IOException
                    || t instanceof UnsupportedOperationException) {
                return t;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }
}
