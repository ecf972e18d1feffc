/**
 * Collectives between training ranks over plain TCP, shaped like Spark's {@code BarrierTaskContext}:
 * {@link dev.finetune.trainer.collective.TcpCollective#allReduceSum ring all-reduce} (reduce-scatter then
 * all-gather, chunked, over two persistent sockets per rank, optionally FP16 on the wire), broadcast,
 * all-gather of small messages and barrier, with connect and read timeouts and errors that name the rank
 * that went away.
 *
 * <p>Configured by rank, world size and every rank's host:port ({@link
 * dev.finetune.trainer.collective.CollectiveOptions}); never imports Spark: a launcher (the Spark barrier task,
 * or a shell loop on one host with several GPUs) passes them in on the command line.
 */
package dev.finetune.trainer.collective;
