/**
 * Dataset records → {@link dev.finetune.pipeline.records.TokenizedDocument}: column selection, chat
 * templating, tokenization and the targets contract of common/SHARD-FORMAT.md. No Spark here: the Spark job
 * converts Rows to Java maps and calls a {@link dev.finetune.pipeline.records.RecordEncoder}.
 */
package dev.finetune.pipeline.records;
