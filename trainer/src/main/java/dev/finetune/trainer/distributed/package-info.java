/**
 * Data-parallel training on Spark: one barrier task per GPU, each supervising a child JVM that trains one rank
 * (DJL allows one gradient collector per JVM), with ranks and peer addresses from {@code BarrierTaskContext},
 * and a driver that resubmits a failed attempt so every rank resumes from the last checkpoint.
 *
 * <p>Only {@link dev.finetune.trainer.distributed.DistributedTrain} and
 * {@link dev.finetune.trainer.distributed.RankTask} import Spark (provided by the cluster);
 * {@link dev.finetune.trainer.distributed.ChildSupervisor} and the child mains do not, so a rank can also be
 * started by hand on a multi-GPU host.
 */
package dev.finetune.trainer.distributed;
