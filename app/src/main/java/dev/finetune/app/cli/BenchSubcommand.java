package dev.finetune.app.cli;

import dev.finetune.trainer.bench.BenchCommand;
import java.io.IOException;
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
                + "  jobs/finetune bench --shape qwen2-7b --seq 2048 --micro-batch 2 --steps 10 --lora-r 16 "
                + "--targets all-linear --quant nf4 --device gpu0 --host-cost\n"
                + "  jobs/finetune bench --shape qwen2.5-0.5b --seq 256 --micro-batch 1 --steps 3 --device cpu";
    }

    @Override
    List<Flag> flags() {
        return flags(
                Flag.value(
                        "shape",
                        "NAME|FILE",
                        "qwen2.5-0.5b, qwen2-7b, llama3-8b or a config.json path.",
                        "qwen2.5-0.5b"),
                Flag.value("seq", "N", "Tokens per row.", "256"),
                Flag.value("micro-batch", "N", "Rows per micro-batch.", "1"),
                Flag.value("accumulation", "N", "Micro-batches per optimizer step.", "1"),
                Flag.value("steps", "N", "Timed optimizer steps.", "3"),
                Flag.value("warmup", "N", "Untimed steps first.", "1"),
                Flag.value("lora-r", "N", "LoRA rank (alpha = 2r).", "16"),
                Flag.value("targets", "LIST", "LoRA target modules or all-linear.", "all-linear"),
                Flag.value("quant", "nf4|fp16|fp32", "Base weight storage.", "nf4"),
                Flag.value("device", "cpu|gpuN", "Device.", "cpu"),
                Flag.value(
                        "layers",
                        "N",
                        "Decoder layers to build; 0 = the shape's own count (a 7B shape's speed "
                                + "per layer fits a small machine).",
                        "0"),
                Flag.value("seed", "N", "Seed of the random weights and tokens.", "0"),
                Flag.value("attn-implementation", "sdpa|eager", "Attention kernel.", "sdpa"),
                Flag.value(
                        "documents",
                        "N",
                        "Documents packed into each row (equal lengths); more than 1 measures packed-row attention.",
                        "1"),
                Flag.toggle(
                        "host-cost",
                        "The shape's ops with negligible arithmetic (heads of 4 dimensions): step_s "
                                + "is then the host's time to issue one step; if it nears the real shape's step_s on the same "
                                + "GPU, the GPU waits for Java/DJL."),
                Flag.toggle(
                        "count-ops",
                        "One more step under PyTorch's profiler: ops_per_step (ATen ops dispatched, "
                                + "nested ones included) and top_level_ops_per_step (about one per JNI call or autograd node)."),
                Flag.toggle(
                        "auto-micro-batch",
                        "Rows per micro-batch chosen to fit the device (all of micro-batch x "
                                + "accumulation first, then smaller divisors on out-of-memory); tokens per step unchanged."));
    }

    @Override
    int run(CommandLine line, PrintStream out) throws IOException {
        BenchCommand.Options o = new BenchCommand.Options();
        o.shape = line.get("shape", o.shape);
        o.seq = line.getInt("seq", o.seq);
        o.microBatch = line.getInt("micro-batch", o.microBatch);
        o.accumulation = line.getInt("accumulation", o.accumulation);
        o.steps = line.getInt("steps", o.steps);
        o.warmup = line.getInt("warmup", o.warmup);
        o.loraR = line.getInt("lora-r", o.loraR);
        o.targets = line.get("targets", o.targets);
        o.quant = line.get("quant", o.quant);
        o.device = line.get("device", o.device);
        o.layers = line.getInt("layers", o.layers);
        o.seed = line.getInt("seed", (int) o.seed);
        o.attnImplementation = line.get("attn-implementation", o.attnImplementation);
        o.documents = line.getInt("documents", o.documents);
        o.hostCost = line.isOn("host-cost");
        o.countOps = line.isOn("count-ops");
        o.autoMicroBatch = line.isOn("auto-micro-batch");
        BenchCommand.run(o, out);
        return Main.OK;
    }
}
