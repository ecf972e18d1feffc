/**
 * The Spark side of data-parallel training: {@link dev.finetune.app.distributed.DistributedTrain}, the driver,
 * runs a barrier stage with one task per GPU ({@code RankTask}); each task learns the ranks' addresses through
 * {@code BarrierTaskContext}, pins its GPU and supervises one trainer JVM with the trainer module's
 * {@link dev.finetune.trainer.distributed.ChildSupervisor}. A failed attempt is resubmitted whole and every rank
 * resumes from the last checkpoint. It has no entry point of its own: the CLI's {@code train} runs it when
 * spark-submit started the JVM ({@code spark-submit --class dev.finetune.app.cli.Main <jar> train --world-size N
 * ...}), with the {@link dev.finetune.trainer.distributed.DistributedTrainOptions} its flags give; the same options
 * run without Spark on one host through {@link dev.finetune.trainer.distributed.LocalLaunch}. StandaloneClusterTest
 * runs all of it on a Spark standalone cluster of separate JVMs.
 */
package dev.finetune.app.distributed;
