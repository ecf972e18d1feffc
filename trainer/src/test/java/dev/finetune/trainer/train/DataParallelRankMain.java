package dev.finetune.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.finetune.config.RunConfig;
import dev.finetune.trainer.collective.TcpGradientSync;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.apache.hadoop.conf.Configuration;

/**
 * One rank of the data-parallel law test: the toy trainer of TrainerLoopTest over the TCP ring (or alone with
 * no collective flags). Rank 0 writes the step losses and the final LoRA weights to {@code --out}.
 * Flags: {@code --out DIR --batch B [--save-steps S] [--die-rank R --die-at-call K] [--rank --world-size --peers ...]};
 * rank R of attempt 1 halts the JVM at its K-th forward call, as a crash would (no cleanup, sockets reset).
 */
public final class DataParallelRankMain {

    static final int VOCAB = 16;
    static final int STEPS = 6;

    private DataParallelRankMain() {}

    public static void main(String[] args) throws Exception {
        Path out = Paths.get(flag(args, "--out"));
        int batch = Integer.parseInt(flag(args, "--batch"));
        boolean distributed = java.util.Arrays.asList(args).contains("--rank");
        int saveSteps = Integer.parseInt(flag(args, "--save-steps", "100"));
        int dieRank = Integer.parseInt(flag(args, "--die-rank", "-1"));
        int dieAt = Integer.parseInt(flag(args, "--die-at-call", "-1"));
        boolean firstAttempt = "1".equals(flag(args, "--attempt", "1"));
        try (GradientSync sync = distributed ? TcpGradientSync.connect(args) : GradientSync.local()) {
            int die = firstAttempt && sync.rank() == dieRank ? dieAt : -1;
            run(out, batch, saveSteps, die, sync);
        }
    }

    static Trainer.Result run(Path out, int batch, int saveSteps, int dieAtCall, GradientSync sync) throws Exception {
        // one project for all ranks: rank 0 writes checkpoints, every rank resumes from them
        RunConfig c = ToyRuns.config("law", out.resolve("runs"), STEPS);
        c.batchSize = batch;
        c.loggingSteps = 1;
        c.saveSteps = saveSteps;
        c.saveTotalLimit = 1;
        c.maxGradNorm = 1.0;
        c.weightDecay = 0.01;
        TrainOptions o = ToyRuns.options(c);
        try (NDManager manager = NDManager.newBaseManager()) {
            ToyBigramModel model = new ToyBigramModel(manager, VOCAB, 4, 0f, 3);
            model.beforeCall = call -> {
                if (call == dieAtCall) {
                    Runtime.getRuntime().halt(137);
                }
            };
            OutputLocation location = OutputLocation.of(o.baseSaveDir, o.projectName, new Configuration());
            Trainer t = new Trainer(
                    o,
                    model,
                    new InMemoryRows(24, 16, VOCAB),
                    null,
                    sync,
                    location,
                    manager,
                    false,
                    null,
                    new PrintStream(new ByteArrayOutputStream()));
            Trainer.Result result = t.run();
            if (sync.rank() != 0) {
                return result;
            }
            Files.createDirectories(out);
            StringBuilder losses = new StringBuilder();
            for (double l : result.losses) {
                losses.append(l).append('\n');
            }
            Files.write(out.resolve("losses.txt"), losses.toString().getBytes("UTF-8"));
            try (DataOutputStream d = new DataOutputStream(Files.newOutputStream(out.resolve("params.bin")))) {
                for (NDArray p : model.parameters().values()) {
                    for (float v : p.toFloatArray()) {
                        d.writeFloat(v);
                    }
                }
            }
            return result;
        }
    }

    private static String flag(String[] args, String name) {
        String v = flag(args, name, null);
        if (v == null) {
            throw new IllegalArgumentException("flag " + name + " is required");
        }
        return v;
    }

    private static String flag(String[] args, String name, String dflt) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return dflt;
    }
}
