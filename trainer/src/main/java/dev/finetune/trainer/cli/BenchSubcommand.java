package dev.finetune.trainer.cli;

import java.io.PrintStream;
import java.util.List;

/** Training throughput on random weights of a real shape; downloads nothing. */
final class BenchSubcommand extends Subcommand {
    BenchSubcommand() {
        super("bench", "Training speed and memory on random weights of a real model shape (downloads nothing)");
    }

    @Override
    String description() {
        return "Builds random weights for a named shape (qwen2.5-0.5b, qwen2-7b, llama3-8b, or a config.json "
                + "path), trains on synthetic tokens and prints one JSON line: tokens_per_s, step_s, peak_mem_gib "
                + "and a phase breakdown, with the configuration it ran.\n\n"
                + "  jobs/finetune bench --shape qwen2-7b --seq 2048 --micro-batch 2 --steps 10 --lora-r 16 "
                + "--targets all-linear --quant nf4 --device gpu0\n"
                + "  jobs/finetune bench --shape qwen2.5-0.5b --seq 256 --micro-batch 1 --steps 3 --device cpu";
    }

    @Override
    List<Flag> flags() {
        return flags(
                Flag.value("shape", "NAME|FILE", "qwen2.5-0.5b, qwen2-7b, llama3-8b or a config.json path."),
                Flag.value("seq", "N", "Tokens per row."),
                Flag.value("micro-batch", "N", "Rows per micro-batch."),
                Flag.value("steps", "N", "Timed optimizer steps."),
                Flag.value("lora-r", "N", "LoRA rank."),
                Flag.value("targets", "LIST", "LoRA target modules or all-linear."),
                Flag.value("quant", "nf4|none", "Base weight storage."),
                Flag.value("device", "cpu|gpuN", "Device."));
    }

    @Override
    int run(CommandLine line, PrintStream out) {
        throw new UnavailableException("the benchmark has not landed yet");
    }
}
