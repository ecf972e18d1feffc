package dev.finetune.trainer.distributed;

import dev.finetune.trainer.collective.CollectiveOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The ranks' supervision without Spark, for one host with several GPUs (torchrun's role): starts one trainer JVM
 * per rank on loopback ports, rank r pinned to GPU {@code localGpus[r mod size]} (or CPU when there are none),
 * and when any rank fails kills the others and restarts them all, up to {@code maxAttempts}; the trainer resumes
 * from its last checkpoint. The CLI's {@code train --world-size N} runs it when spark-submit did not start the JVM,
 * with the {@link DistributedTrainOptions} its flags give.
 */
public final class LocalLaunch {

    private LocalLaunch() {}

    /** Runs attempts until one succeeds; returns the number of attempts used. */
    public static int run(DistributedTrainOptions options) throws InterruptedException {
        SecureRandom random = new SecureRandom();
        String last = null;
        for (int attempt = 1; attempt <= options.maxAttempts; attempt++) {
            last = runAttempt(options, attempt, random.nextLong());
            if (last == null) {
                System.err.println("training finished in attempt " + attempt + " of " + options.maxAttempts);
                return attempt;
            }
            System.err.println("attempt " + attempt + " of " + options.maxAttempts + " failed: " + last
                    + (attempt < options.maxAttempts ? "; restarting all ranks from the last checkpoint" : ""));
        }
        throw new IllegalStateException(
                "training failed in all " + options.maxAttempts + " attempts (--max-attempts); last: " + last);
    }

    /** One attempt; null on success, else the first failure's message. */
    private static String runAttempt(DistributedTrainOptions options, int attempt, long token)
            throws InterruptedException {
        int n = options.ranks;
        List<InetSocketAddress> peers = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            try (ServerSocket s = new ServerSocket(0)) {
                peers.add(InetSocketAddress.createUnresolved("127.0.0.1", s.getLocalPort()));
            } catch (IOException e) {
                throw new IllegalStateException("no free loopback port for rank " + r, e);
            }
        }
        AtomicBoolean cancel = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<Future<String>> ranks = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            final int rank = r;
            ranks.add(pool.submit(() -> {
                CollectiveOptions co = CollectiveOptions.of(rank, n, peers)
                        .withTimeouts(1000L * options.connectTimeoutS, 1000L * options.readTimeoutS)
                        .withFp16Wire(options.fp16Wire)
                        .withJobToken(token);
                String gpu =
                        options.localGpus.isEmpty() ? null : options.localGpus.get(rank % options.localGpus.size());
                List<String> args = options.rankArgs(co, attempt, gpu);
                Map<String, String> env =
                        gpu == null ? Collections.emptyMap() : Collections.singletonMap("CUDA_VISIBLE_DEVICES", gpu);
                try {
                    ChildSupervisor.run(
                            "rank " + rank,
                            ChildSupervisor.javaCommand(options.childJvmOptions, options.trainMain, args),
                            new HashMap<>(env),
                            System.out::println,
                            cancel::get);
                    return null;
                } catch (IOException | RuntimeException e) {
                    cancel.set(true); // one rank down: the others cannot finish the step
                    return e.getMessage();
                } catch (InterruptedException e) {
                    return "rank " + rank + " stopped because another rank failed";
                }
            }));
        }
        pool.shutdown();
        String first = null;
        for (Future<String> f : ranks) {
            try {
                String failure = f.get();
                if (failure != null && (first == null || first.contains("stopped because another rank failed"))) {
                    first = failure;
                }
            } catch (java.util.concurrent.ExecutionException e) {
                first = first == null ? String.valueOf(e.getCause()) : first;
            }
        }
        return first;
    }
}
