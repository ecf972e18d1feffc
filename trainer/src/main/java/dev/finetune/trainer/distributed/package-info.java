/**
 * Data-parallel training on Spark: one barrier task per GPU, each supervising a child JVM that trains one rank
 * (DJL allows one gradient collector per JVM), with ranks and peer addresses from {@code BarrierTaskContext},
 * and a driver that resubmits a failed attempt so every rank resumes from the last checkpoint.
 *
 * <p>Only {@link dev.finetune.trainer.distributed.DistributedTrain} and
 * {@link dev.finetune.trainer.distributed.RankTask} import Spark (provided by the cluster);
 * {@link dev.finetune.trainer.distributed.ChildSupervisor} and the child mains do not, so a rank can also be
 * started by hand on a multi-GPU host.
 *
 * <p>What a rank's JVM gets from its task: CUDA_VISIBLE_DEVICES (its GPU), HF_TOKEN in its environment when the
 * driver has a token (--hf-token-file or the driver's own HF_TOKEN; never an argument, a log line or a job property),
 * and with --libtorch a node-local copy of a shared libtorch (PYTORCH_LIBRARY_PATH plus the PYTORCH_FLAVOR that
 * {@link dev.finetune.trainer.distributed.LocalLibtorch} reads from it). Its heap is --child-heap; on YARN the driver
 * checks that spark.executor.memoryOverhead holds it. StandaloneClusterTest runs all of it on a Spark standalone
 * cluster of separate JVMs.
 */
package dev.finetune.trainer.distributed;
