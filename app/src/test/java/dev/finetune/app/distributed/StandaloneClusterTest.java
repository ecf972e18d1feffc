package dev.finetune.app.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.app.cli.Main;
import dev.finetune.app.demo.DemoData;
import dev.finetune.app.demo.TinyQwen3;
import dev.finetune.hub.FakeHub;
import dev.finetune.hub.HubRepo;
import dev.finetune.shards.Manifest;
import dev.finetune.trainer.train.RunOutputs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Dataproc path on this machine: a Spark standalone master and two workers as separate JVMs (each worker with
 * its own work, cache and Hub folders; nothing shared but a "bucket" folder the jobs address as
 * {@code viewfs://bucket/}, a Hadoop FileSystem URI, as they would address gs://), started from this build's Spark
 * jars without snakeyaml. The thin jar is submitted through spark-submit's main class, both times with the CLI's
 * one entry point ({@code --class dev.finetune.app.cli.Main}):
 * <ol>
 *   <li>{@code prepare} of a Hub dataset served by the Hub stand-in over HTTP, with the base model's tokenizer read
 *   from the bucket; the driver keeps its copy under a relative folder, which resolves elsewhere on the executors,
 *   as a driver's local path does on other hosts: the executors must get the tokenizer with the job;</li>
 *   <li>{@code train --world-size 2}, which under spark-submit runs the Spark barrier job (2 barrier tasks, each
 *   supervising a rank JVM) on a private Hub model,
 *   the token read by the driver from the bucket and handed to the ranks through their environment, libtorch
 *   installed once per worker from the bucket (PYTORCH_LIBRARY_PATH); rank 1 is killed once checkpoint-2 exists,
 *   the driver resubmits and both ranks resume.</li>
 * </ol>
 * The law: the resumed 2 ranks × batch 1 end with the losses and adapter of 1 rank × batch 2 trained without
 * interruption in this JVM; and the token appears in no log, file or command line.
 */
class StandaloneClusterTest {

    private static final int STEPS = 4;
    private static final String MODEL_REPO = "acme/tiny-qwen3";
    private static final String DATASET_REPO = "acme/wagahai";

    @Test
    void preparedAndTrainedOnAThreeJvmClusterWithAKilledRankTheAdapterEqualsOneRankWithTwiceTheBatch(@TempDir Path tmp)
            throws Exception {
        long t0 = System.nanoTime();
        Path projectRoot =
                Paths.get(System.getProperty("project.root")).toAbsolutePath().normalize();
        Path thinJar = StandaloneSpark.thinJar(projectRoot);
        Path bucket = Files.createDirectories(tmp.resolve("bucket"));

        // the bucket: model (config, weights, tokenizer), libtorch, the token file, the run's configuration
        Path model = bucket.resolve("model");
        TinyQwen3.write(model, 11);
        for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
            Files.copy(projectRoot.resolve("app/src/demo/tokenizer").resolve(f), model.resolve(f));
        }
        Path libtorch = Files.createDirectories(bucket.resolve("libtorch"));
        for (Path lib : StandaloneSpark.cpuLibtorchFiles()) {
            Files.createSymbolicLink(libtorch.resolve(lib.getFileName()), lib);
        }
        Files.createDirectories(bucket.resolve("secrets"));
        Files.write(bucket.resolve("secrets/hf_token"), FakeHub.TOKEN.getBytes(StandardCharsets.UTF_8));
        Files.createDirectories(bucket.resolve("conf"));
        Files.write(
                bucket.resolve("conf/run.yaml"),
                ("project_name: law\n"
                                + "base_save_dir: viewfs://bucket/runs\n"
                                + "dataset_id: " + DATASET_REPO
                                + "\ntext_column: text\nmax_seq_length: 64\npacking: true\n"
                                + "use_4bit: false\ncompute_dtype: fp32\ndevice: cpu\n"
                                + "lora_r: 8\nlora_alpha: 16\nlora_dropout: 0.0\nlora_target_modules: all-linear\n"
                                + "gradient_accumulation_steps: 1\nlearning_rate: 0.001\nwarmup_steps: 1\nmax_steps: "
                                + STEPS + "\n"
                                + "logging_steps: 1\nsave_steps: 2\neval_steps: 0\nseed: 7\n")
                        .getBytes(StandardCharsets.UTF_8));

        try (FakeHub hub = FakeHub.start();
                StandaloneSpark cluster = StandaloneSpark.create(
                        tmp.resolve("cluster"),
                        StandaloneSpark.sparkJars(projectRoot),
                        Collections.singletonMap(
                                "fs.viewfs.mounttable.bucket.linkFallback",
                                bucket.toUri().toString()))) {
            publishHubRepos(hub, model, tmp);
            cluster.startMaster();
            for (String w : new String[] {"worker-1", "worker-2"}) {
                Path dir = tmp.resolve("cluster").resolve(w);
                Map<String, String> env = new LinkedHashMap<>();
                env.put("FINETUNE_NODE_CACHE", dir.resolve("node-cache").toString());
                env.put("DJL_CACHE_DIR", dir.resolve("djl").toString());
                env.put("HF_HOME", dir.resolve("hf").toString());
                env.put("HF_ENDPOINT", hub.endpoint());
                cluster.startWorker(w, 1, "1200m", env);
            }
            phase("cluster up", t0);
            Path driverDir = Files.createDirectories(tmp.resolve("cluster/driver"));
            Map<String, String> driverEnv = new LinkedHashMap<>();
            driverEnv.put("FINETUNE_NODE_CACHE", "node-cache"); // relative: means another folder on every host
            driverEnv.put("DJL_CACHE_DIR", driverDir.resolve("djl").toString());
            driverEnv.put("HF_HOME", driverDir.resolve("hf").toString());
            driverEnv.put("HF_ENDPOINT", hub.endpoint());
            List<String> common = new ArrayList<>(Arrays.asList(
                    "--conf",
                    "spark.executor.cores=1",
                    "--conf",
                    "spark.task.cpus=1",
                    "--conf",
                    "spark.executor.memory=512m",
                    "--conf",
                    "spark.cores.max=2",
                    "--conf",
                    "spark.ui.enabled=false",
                    "--conf",
                    "spark.executorEnv.OPT_OUT_TRACKING=true",
                    "--conf",
                    "spark.executor.extraJavaOptions=" + String.join(" ", StandaloneSpark.opens())));

            // 1. prepare: Hub dataset over HTTP, tokenizer from the bucket shipped to the executors
            List<String> prepare = new ArrayList<>(common);
            prepare.addAll(Arrays.asList("--class", "dev.finetune.app.cli.Main"));
            StandaloneSpark.Submitted prepared = submitIn(
                    cluster,
                    driverDir,
                    "prepare",
                    prepare,
                    thinJar,
                    Arrays.asList(
                            "prepare",
                            "--config",
                            "viewfs://bucket/conf/run.yaml",
                            "--base-model-id",
                            "viewfs://bucket/model"),
                    driverEnv);
            assertEquals(0, prepared.exitCode, "prepare failed:\n" + tail(prepared.output));
            phase("prepare", t0);
            Path data = bucket.resolve("runs/law/data");
            Manifest manifest = Manifest.read(
                    new org.apache.hadoop.fs.Path(data.resolve("manifest.json").toUri()),
                    new org.apache.hadoop.conf.Configuration());
            long rows = manifest.splits.get("train").rows;
            assertTrue(rows >= 2L * STEPS, "enough rows for " + STEPS + " steps of 2: " + rows);
            for (String w : new String[] {"worker-1", "worker-2"}) {
                assertTrue(
                        executorFiles(tmp.resolve("cluster").resolve(w).resolve("work"), "tokenizer.json") > 0,
                        w + "'s executor received the tokenizer with the job");
            }

            // 2. train: 2 barrier tasks, rank JVMs; rank 1 killed after checkpoint-2; the driver resubmits
            Path run = bucket.resolve("runs/law");
            AtomicReference<String> killed = new AtomicReference<>();
            Thread killer = new Thread(
                    () -> killed.set(
                            killRankOne(run.resolve("checkpoints/checkpoint-2/_SUCCESS"), run.resolve("final"))),
                    "killer");
            killer.setDaemon(true);
            killer.start();
            List<String> train = new ArrayList<>(common);
            train.addAll(Arrays.asList(
                    "--class",
                    Main.class.getName(),
                    "--conf",
                    "spark.dynamicAllocation.enabled=false",
                    "--conf",
                    "spark.barrier.sync.timeout=300s"));
            StandaloneSpark.Submitted trained = submitIn(
                    cluster,
                    driverDir,
                    "train",
                    train,
                    thinJar,
                    Arrays.asList(
                            "train",
                            "--world-size",
                            "2",
                            "--max-attempts",
                            "3",
                            "--child-heap",
                            "768m",
                            "--libtorch",
                            "viewfs://bucket/libtorch",
                            "--hf-token-file",
                            "viewfs://bucket/secrets/hf_token",
                            "--connect-timeout-s",
                            "120",
                            "--read-timeout-s",
                            "300",
                            "--child-jvm-option",
                            "-Dai.djl.offline=true",
                            "--config",
                            "viewfs://bucket/conf/run.yaml",
                            "--base-model-id",
                            MODEL_REPO,
                            "--batch-size",
                            "1"),
                    driverEnv);
            killer.join(1000);
            phase("train", t0);
            assertEquals(0, trained.exitCode, "train failed:\n" + tail(trained.output));
            assertEquals("killed", killed.get(), "rank 1's JVM: " + killed.get());
            assertTrue(trained.output.contains("training finished in attempt 2 of 3"), tail(trained.output));
            assertTrue(
                    trained.output.contains("launcher: Spark barrier job, 2 ranks as barrier tasks (spark-submit "
                            + "started this JVM: spark.master=" + cluster.masterUrl()),
                    tail(trained.output));

            for (String w : new String[] {"worker-1", "worker-2"}) {
                try (Stream<Path> s =
                        Files.list(tmp.resolve("cluster").resolve(w).resolve("node-cache"))) {
                    List<String> copies = s.map(p -> p.getFileName().toString())
                            .filter(n -> n.startsWith("libtorch-") && !n.contains("."))
                            .collect(Collectors.toList());
                    assertEquals(1, copies.size(), w + " installed libtorch once for both attempts: " + copies);
                }
            }

            // the law: resumed 2 ranks x batch 1 == 1 rank x batch 2 without interruption (this JVM, local paths)
            int resumedAt = resumedAt(run.resolve("logs"));
            assertTrue(
                    resumedAt >= 2 && resumedAt < STEPS && resumedAt % 2 == 0, "resumed from checkpoint-" + resumedAt);
            Path one = tmp.resolve("one");
            assertEquals(
                    0,
                    Main.run(
                            new String[] {
                                "train",
                                "--config",
                                bucket.resolve("conf/run.yaml").toString(),
                                "--base-model-id",
                                model.toString(),
                                "--shards-dir",
                                data.toString(),
                                "--base-save-dir",
                                one.toString(),
                                "--batch-size",
                                "2"
                            },
                            new PrintStream(new ByteArrayOutputStream()),
                            System.err));
            List<Double> reference = RunOutputs.trainLosses(one.resolve("law/logs/metrics-0.jsonl"));
            List<Double> resumed = RunOutputs.trainLosses(run.resolve("logs/metrics-" + resumedAt + ".jsonl"));
            assertEquals(STEPS, reference.size());
            assertEquals(
                    STEPS - resumedAt,
                    resumed.size(),
                    "the resumed run logged steps " + (resumedAt + 1) + ".." + STEPS);
            for (int i = 0; i < resumed.size(); i++) {
                double want = reference.get(resumedAt + i);
                assertEquals(want, resumed.get(i), 1e-5 * Math.abs(want), "loss of step " + (resumedAt + i + 1));
            }
            phase("reference run", t0);
            RunOutputs.assertSameAdapter(
                    one.resolve("law/final/adapter_model.safetensors"),
                    run.resolve("final/adapter_model.safetensors"),
                    1e-5f);
        }
        assertTokenNowhere(tmp, bucket.resolve("secrets/hf_token"));
    }

    private static void phase(String name, long t0) {
        System.out.printf("StandaloneClusterTest: %s done at %.0f s%n", name, (System.nanoTime() - t0) / 1e9);
    }

    /** The private model repo (the bucket's model files) and the public dataset (the demo text, two jsonl files). */
    private static void publishHubRepos(FakeHub hub, Path model, Path tmp) throws IOException {
        dev.finetune.hub.FakeRepo m = hub.repo(HubRepo.model(MODEL_REPO)).makePrivate();
        try (Stream<Path> s = Files.list(model)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                m.put("main", f.getFileName().toString(), Files.readAllBytes(f));
            }
        }
        Path jsonl = tmp.resolve("wagahai.jsonl");
        Path root = Paths.get(System.getProperty("project.root"));
        DemoData.writeJsonl(root.resolve("app/src/demo/text/ja_wagahai_ch1.txt"), jsonl);
        List<String> lines = Files.readAllLines(jsonl, StandardCharsets.UTF_8);
        int half = lines.size() / 2;
        dev.finetune.hub.FakeRepo d = hub.repo(HubRepo.dataset(DATASET_REPO));
        d.put("main", "README.md", "the first chapter of 吾輩は猫である");
        d.put("main", "data/train-00000-of-00002.jsonl", String.join("\n", lines.subList(0, half)) + "\n");
        d.put("main", "data/train-00001-of-00002.jsonl", String.join("\n", lines.subList(half, lines.size())) + "\n");
    }

    private static StandaloneSpark.Submitted submitIn(
            StandaloneSpark cluster,
            Path dir,
            String name,
            List<String> options,
            Path jar,
            List<String> args,
            Map<String, String> env)
            throws Exception {
        return cluster.submit(name, options, jar, args, env, dir, 480);
    }

    /** How many files named {@code name} the executors' work folders (one per application and executor) hold. */
    private static long executorFiles(Path work, String name) throws IOException {
        try (Stream<Path> s = Files.walk(work)) {
            return s.filter(p -> p.getFileName().toString().equals(name)).count();
        }
    }

    /**
     * Waits for {@code marker}, then kills the rank-1 JVM (a descendant of this JVM: worker, executor, rank) as a
     * crash would. Returns "killed", or what was wrong: final/ already there, the token on its command line, its
     * environment without the token or the node's libtorch.
     */
    private static String killRankOne(Path marker, Path finalDir) {
        long deadline = System.currentTimeMillis() + 400_000;
        while (!Files.exists(marker) && System.currentTimeMillis() < deadline) {
            sleep(5);
        }
        Optional<ProcessHandle> rank1 = ProcessHandle.current()
                .descendants()
                .filter(p -> hasArgs(p, "--rank", "1"))
                .findFirst();
        if (!rank1.isPresent()) {
            return "not found";
        }
        if (Files.exists(finalDir)) {
            return "final/ existed before the kill";
        }
        String cmdline = read("/proc/" + rank1.get().pid() + "/cmdline");
        String environ = read("/proc/" + rank1.get().pid() + "/environ");
        String problem = null;
        if (cmdline.contains(FakeHub.TOKEN)) {
            problem = "the token is on its command line";
        } else if (!environ.contains("\0HF_TOKEN=" + FakeHub.TOKEN + "\0") && !environ.startsWith("HF_TOKEN=")) {
            problem = "HF_TOKEN is not in its environment";
        } else if (!environ.contains("PYTORCH_FLAVOR=cpu") || !environ.contains("node-cache/libtorch-")) {
            problem = "no node-local libtorch in its environment";
        }
        rank1.get().destroyForcibly();
        return problem != null ? problem : "killed";
    }

    private static boolean hasArgs(ProcessHandle p, String flag, String value) {
        String[] args = read("/proc/" + p.pid() + "/cmdline").split("\0");
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(flag) && args[i + 1].equals(value)) {
                return true;
            }
        }
        return false;
    }

    private static String read(String file) {
        try {
            return new String(Files.readAllBytes(Paths.get(file)), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The step named by the metrics file a resumed run started (metrics-N.jsonl with N > 0), or -1. */
    private static int resumedAt(Path logs) throws IOException {
        int at = -1;
        try (Stream<Path> files = Files.list(logs)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String n = p.getFileName().toString();
                if (n.startsWith("metrics-") && n.endsWith(".jsonl")) {
                    int step = Integer.parseInt(n.substring("metrics-".length(), n.length() - ".jsonl".length()));
                    at = step > 0 ? step : at;
                }
            }
        }
        return at;
    }

    /** No file under {@code root} but the token file holds the token: logs, checkpoints, manifests, configs. */
    private static void assertTokenNowhere(Path root, Path tokenFile) throws IOException {
        byte[] token = FakeHub.TOKEN.getBytes(StandardCharsets.UTF_8);
        List<Path> holding = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        && !p.equals(tokenFile)
                        && Files.size(p) < 64L << 20
                        && contains(Files.readAllBytes(p), token)) {
                    holding.add(p);
                }
            }
        }
        assertFalse(!holding.isEmpty(), "the Hugging Face token was written to " + holding);
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static String tail(String output) {
        String[] lines = output.split("\n");
        return String.join("\n", Arrays.asList(lines).subList(Math.max(0, lines.length - 120), lines.length));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
