/**
 * Data-parallel training without Spark: one child JVM per rank (DJL allows one gradient collector per JVM),
 * started and supervised on one host ({@link dev.finetune.trainer.distributed.LocalLaunch},
 * {@link dev.finetune.trainer.distributed.ChildSupervisor}), with the ranks, peers and attempts of
 * {@link dev.finetune.trainer.distributed.DistributedTrainOptions}; a failed attempt restarts every rank from the
 * last checkpoint.
 *
 * <p>The Spark side (one barrier task per GPU that supervises such a child, with ranks and peer addresses from
 * {@code BarrierTaskContext}: {@code DistributedTrain} and {@code RankTask}) lives in the app module under the same
 * package name; this module never imports Spark, so a rank can also be started by hand on a multi-GPU host.
 */
package dev.finetune.trainer.distributed;
