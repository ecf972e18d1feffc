/**
 * The command line: one entry point ({@link dev.finetune.app.cli.Main}) for {@code jobs/finetune} and
 * spark-submit, its subcommands and a small hand-written flag parser. Each subcommand hands the steps the
 * sections of the user's {@link dev.finetune.config.RunConfig} ({@code c.training()}, {@code c.prepare()}, ...);
 * holds no training, model or Spark logic itself; it only calls the packages that do.
 */
package dev.finetune.app.cli;
