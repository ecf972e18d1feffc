/**
 * The command line: one entry point ({@link dev.finetune.trainer.cli.Main}) for {@code jobs/finetune} and
 * spark-submit, its subcommands, a small hand-written flag parser, and the one place that maps the user's
 * {@link dev.finetune.config.RunConfig} onto each subcommand's own options ({@code OptionsMapping}). Holds no
 * training, model or Spark logic itself; it only calls the packages that do.
 */
package dev.finetune.trainer.cli;
