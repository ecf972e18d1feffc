/**
 * The token shard format (common/SHARD-FORMAT.md): {@link dev.finetune.shards.ShardWriter} writes shard files,
 * {@link dev.finetune.shards.ShardReader} reads one, {@link dev.finetune.shards.Manifest} is manifest.json and
 * {@link dev.finetune.shards.ShardSet} is the random-access view over a published output. Everything goes
 * through Hadoop FileSystem paths (local, gs://, hdfs://). Never imports Spark: the trainer reads shards
 * without it.
 */
package dev.finetune.shards;
