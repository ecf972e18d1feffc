package dev.finetune.trainer.distributed;

import dev.finetune.trainer.collective.CollectiveOptions;
import dev.finetune.trainer.collective.TcpCollective;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in trainer for testing the launch machinery without a model (child JVMs, restarts, resume): each
 * "optimizer step" all-reduces a deterministic per-rank vector into the state, rank 0 checkpoints after every
 * step (atomically), a restarted run resumes from the latest checkpoint (rank 0 reads it and broadcasts it),
 * and at the end all ranks prove they hold identical state before rank 0 publishes {@code final.bin}.
 * Flags: the collective's plus {@code --out DIR --steps N [--step-ms 100]}.
 */
public final class SmokeTrainMain {

    public static final int SIZE = 1001;

    private SmokeTrainMain() {}

    public static void main(String[] args) throws Exception {
        CollectiveOptions o = CollectiveOptions.fromArgs(args);
        Path out = Paths.get(flag(args, "--out", null));
        int steps = Integer.parseInt(flag(args, "--steps", "6"));
        long stepMs = Long.parseLong(flag(args, "--step-ms", "100"));
        try (TcpCollective c = TcpCollective.connect(o)) {
            float[] state = new float[SIZE + 1]; // [0] = steps done, then the "weights"
            if (o.rank == 0) {
                state = latestCheckpoint(out, state);
            }
            c.broadcast(state, 0);
            int start = (int) state[0];
            System.out.println("rank " + o.rank + " starts at step " + start + " of " + steps);
            // lets a fault-injection test kill this very process from outside
            Files.write(
                    out.resolve("rank" + o.rank + ".pid"),
                    String.valueOf(ProcessHandle.current().pid()).getBytes("UTF-8"));
            if (o.rank == 0 && start > 0) {
                Files.write(out.resolve("resumed-from-" + start), new byte[0]);
            }
            for (int step = start; step < steps; step++) {
                float[] g = contribution(o.rank, step);
                c.allReduceSum(g);
                for (int i = 0; i < SIZE; i++) {
                    state[1 + i] += g[i];
                }
                state[0] = step + 1;
                Thread.sleep(stepMs);
                Files.write(out.resolve("rank" + o.rank + "-at-step-" + (step + 1)), new byte[0]);
                if (o.rank == 0) {
                    writeAtomically(out.resolve("checkpoint.bin"), state);
                }
                c.barrier(); // the checkpoint is on disk before any rank moves on
            }
            byte[][] digests = c.allGather(sha256(state));
            for (int r = 1; r < digests.length; r++) {
                if (!Arrays.equals(digests[0], digests[r])) {
                    throw new IllegalStateException("rank " + r + " holds different state from rank 0: not publishing");
                }
            }
            if (o.rank == 0) {
                writeAtomically(out.resolve("final.bin"), state);
            }
            System.out.println("rank " + o.rank + " done");
        }
    }

    /** What rank r adds in a step; the test computes the expected sum from this too. */
    public static float[] contribution(int rank, int step) {
        float[] g = new float[SIZE];
        for (int i = 0; i < SIZE; i++) {
            g[i] = (rank + 1) * (step + 1) + i * 0.25f;
        }
        return g;
    }

    public static float[] read(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
            float[] v = new float[in.readInt()];
            for (int i = 0; i < v.length; i++) {
                v[i] = in.readFloat();
            }
            return v;
        }
    }

    private static float[] latestCheckpoint(Path out, float[] fresh) throws IOException {
        Path ckpt = out.resolve("checkpoint.bin");
        return Files.exists(ckpt) ? read(ckpt) : fresh;
    }

    private static void writeAtomically(Path file, float[] v) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (DataOutputStream d = new DataOutputStream(Files.newOutputStream(tmp))) {
            d.writeInt(v.length);
            for (float x : v) {
                d.writeFloat(x);
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static byte[] sha256(float[] v) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length);
        b.asFloatBuffer().put(v);
        return MessageDigest.getInstance("SHA-256").digest(b.array());
    }

    private static String flag(String[] args, String name, String dflt) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        if (dflt == null) {
            throw new IllegalArgumentException("flag " + name + " is required");
        }
        return dflt;
    }

    /** Waits until {@code rank} reports {@code step}, then kills its child JVM from outside, as a crash would. */
    public static void killRankAt(Path out, int rank, int step, AtomicInteger kills) {
        Path marker = out.resolve("rank" + rank + "-at-step-" + step);
        long deadline = System.currentTimeMillis() + 120_000;
        while (!Files.exists(marker) && System.currentTimeMillis() < deadline) {
            sleep(20);
        }
        try {
            long pid =
                    Long.parseLong(new String(Files.readAllBytes(out.resolve("rank" + rank + ".pid")), "UTF-8").trim());
            ProcessHandle.of(pid).ifPresent(p -> {
                if (p.destroyForcibly()) {
                    kills.incrementAndGet();
                }
            });
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read the pid file of rank " + rank + " in " + out, e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
