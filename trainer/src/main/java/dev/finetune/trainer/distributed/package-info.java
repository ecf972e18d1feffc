/**
 * Data-parallel training without Spark: one child JVM per rank (DJL allows one gradient collector per JVM),
 * started and supervised on one host ({@link dev.finetune.trainer.distributed.LocalLaunch},
 * {@link dev.finetune.trainer.distributed.ChildSupervisor}), with the ranks, peers and attempts of
 * {@link dev.finetune.trainer.distributed.DistributedTrainOptions}; a failed attempt restarts every rank from the
 * last checkpoint. The options come from the flags of the app's {@code train} command, the one entry point, which
 * hands them to LocalLaunch on one host or to the Spark barrier job under spark-submit; this module has no
 * command line of its own for them.
 *
 * <p>The Spark side (one barrier task per GPU that supervises such a child, with ranks and peer addresses from
 * {@code BarrierTaskContext}) is the app module's {@code dev.finetune.app.distributed}; this module never imports
 * Spark, so a rank can also be started by hand on a multi-GPU host.
 *
 * <p>What a rank's JVM gets from its Spark task: CUDA_VISIBLE_DEVICES (its GPU), HF_TOKEN in its environment when
 * the driver has a token (train's --hf-token-file or the driver's own HF_TOKEN; never an argument, a log line or a job
 * property), and with train's --libtorch a node-local copy of a shared libtorch (PYTORCH_LIBRARY_PATH plus the
 * PYTORCH_FLAVOR that {@link dev.finetune.trainer.distributed.LocalLibtorch} reads from it). Its heap is
 * --child-heap; on YARN the driver checks that spark.executor.memoryOverhead holds it. StandaloneClusterTest (app)
 * runs all of it on a Spark standalone cluster of separate JVMs.
 */
package dev.finetune.trainer.distributed;
