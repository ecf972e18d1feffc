package dev.finetune.pipeline.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.management.OperatingSystemMXBean;
import dev.finetune.pipeline.ingest.TokenizerEncoderFactory;
import dev.finetune.pipeline.records.RecordOptions;
import dev.finetune.pipeline.spark.PrepareJob;
import dev.finetune.pipeline.spark.PrepareOptions;
import dev.finetune.shards.Manifest;
import dev.finetune.tokenize.TextTokenizer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;

/**
 * {@code PrepareBenchmark <MB> <text dir> <tokenizer dir> <work dir>}: the texts of the text dir (English and Japanese, cut into
 * documents of a few lines) repeated to about MB megabytes of UTF-8, written as 8 jsonl files; then
 * (a) the DJL tokenizer alone encoding every document in one thread, and (b) the whole prepare job at
 * local[1] and local[2]. CPU time is the process's user + system time (OperatingSystemMXBean), which a shared
 * machine distorts less than wall time; (b)/(a) is the job's overhead per token.
 *
 * <pre>
 * mvn -o -B -q -pl pipeline -am package -DskipTests dependency:build-classpath \
 *     -Dmdep.outputFile=/tmp/cp-\${project.artifactId}.txt -Dmdep.includeScope=test
 * java &lt;the java17.opens flags of the parent pom&gt; -Xmx4g -Dai.djl.offline=true \
 *     -cp pipeline/target/classes:$(cat /tmp/cp-pipeline.txt) dev.finetune.pipeline.bench.PrepareBenchmark \
 *     20 test-fixtures/text app/src/demo/tokenizer /tmp/bench
 * </pre>
 */
public final class PrepareBenchmark {
    private static final OperatingSystemMXBean OS =
            (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private PrepareBenchmark() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: PrepareBenchmark <MB> <text dir> <tokenizer dir> <work dir>");
            System.exit(2);
        }
        double mb = Double.parseDouble(args[0]);
        Path texts = Paths.get(args[1]);
        Path tokenizer = Paths.get(args[2]);
        Path work = Paths.get(args[3]);
        List<String> docs = documents(texts, (long) (mb * 1e6));
        Path jsonl = work.resolve("input-jsonl");
        writeJsonl(jsonl, docs, 8);
        Path warmup = work.resolve("warmup-jsonl");
        writeJsonl(warmup, docs.subList(0, Math.min(docs.size(), 2000)), 2);

        // (a) the tokenizer alone, the way the encoder calls it (plain text + EOS is one array copy more)
        TextTokenizer tok = TextTokenizer.load(tokenizer);
        tok.encode(docs.get(0), true); // warm up the native library
        long cpu0 = OS.getProcessCpuTime();
        long wall0 = System.nanoTime();
        long tokens = 0;
        for (String d : docs) {
            tokens += tok.encode(d, true).length;
        }
        double aCpu = (OS.getProcessCpuTime() - cpu0) / 1e9;
        double aWall = (System.nanoTime() - wall0) / 1e9;
        tok.close();
        System.out.printf(
                Locale.ROOT,
                "input: %,d documents, %.1f MB UTF-8, %,d tokens (+%,d EOS)%n",
                docs.size(),
                mb,
                tokens,
                docs.size());
        docs = null;

        double[] b1 = job("local[1]", jsonl, warmup, work, tokenizer);
        double[] b2 = job("local[2]", jsonl, warmup, work, tokenizer);
        double mTok = tokens / 1e6;
        System.out.printf(Locale.ROOT, "%-34s %12s %14s %10s%n", "", "CPU s", "CPU s / Mtok", "wall s");
        System.out.printf(
                Locale.ROOT, "%-34s %12.2f %14.3f %10.2f%n", "(a) tokenizer alone, 1 thread", aCpu, aCpu / mTok, aWall);
        System.out.printf(
                Locale.ROOT,
                "%-34s %12.2f %14.3f %10.2f%n",
                "(b) prepare job, local[1]",
                b1[0],
                b1[0] / (b1[2] / 1e6),
                b1[1]);
        System.out.printf(
                Locale.ROOT,
                "%-34s %12.2f %14.3f %10.2f%n",
                "(b) prepare job, local[2]",
                b2[0],
                b2[0] / (b2[2] / 1e6),
                b2[1]);
        System.out.printf(
                Locale.ROOT,
                "(b)/(a) CPU per token: local[1] %.3f, local[2] %.3f; wall local[1]/local[2] " + "%.2f%n",
                (b1[0] / b1[2]) / (aCpu / tokens),
                (b2[0] / b2[2]) / (aCpu / tokens),
                b1[1] / b2[1]);
    }

    /**
     * {CPU s, wall s, tokens} of one prepare run in a fresh session, after a warm-up run on a small input
     * (session start-up, class loading and JIT excluded: the steady-state cost per token is what scales).
     */
    private static double[] job(String master, Path input, Path warmup, Path work, Path tokenizer) throws IOException {
        SparkSession spark = SparkSession.builder()
                .master(master)
                .appName("prepare-benchmark")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        try {
            PrepareOptions o = new PrepareOptions();
            o.source = warmup.toString();
            o.output =
                    work.resolve("warmup-" + master.replaceAll("[^0-9a-z]", "")).toString();
            o.tokenizer = tokenizer.toString();
            o.maxSeqLength = 2048;
            o.overwrite = true;
            RecordOptions r = RecordOptions.text("text");
            new PrepareJob(spark, o, new TokenizerEncoderFactory(o.tokenizer, r), "warm-up").run();
            o.source = input.toString();
            o.output = work.resolve("out-" + master.replaceAll("[^0-9a-z]", "")).toString();
            long cpu0 = OS.getProcessCpuTime();
            long wall0 = System.nanoTime();
            Manifest m = new PrepareJob(spark, o, new TokenizerEncoderFactory(o.tokenizer, r), "benchmark").run();
            double cpu = (OS.getProcessCpuTime() - cpu0) / 1e9;
            double wall = (System.nanoTime() - wall0) / 1e9;
            Manifest.Split s = m.splits.get("train");
            // tokens without the EOS the job appends, to compare with (a) per text token
            return new double[] {cpu, wall, s.tokens - s.documents};
        } finally {
            spark.stop();
        }
    }

    /** Fixture documents (blocks of up to 6 lines) repeated until {@code bytes} bytes of UTF-8. */
    static List<String> documents(Path textDir, long bytes) throws IOException {
        List<String> base = new ArrayList<>();
        for (String name : new String[] {"en_botchan.txt", "en_mobydick.txt", "ja_wagahai.txt"}) {
            String[] lines = new String(Files.readAllBytes(textDir.resolve(name)), StandardCharsets.UTF_8).split("\n");
            for (int i = 0; i < lines.length; i += 6) {
                String d = String.join("\n", java.util.Arrays.copyOfRange(lines, i, Math.min(lines.length, i + 6)));
                if (!d.trim().isEmpty()) {
                    base.add(d);
                }
            }
        }
        List<String> docs = new ArrayList<>();
        long total = 0;
        for (int i = 0; total < bytes; i++) {
            String d = base.get(i % base.size());
            docs.add(d);
            total += d.getBytes(StandardCharsets.UTF_8).length;
        }
        return docs;
    }

    static void writeJsonl(Path dir, List<String> docs, int files) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        int per = (docs.size() + files - 1) / files;
        for (int f = 0; f < files; f++) {
            try (BufferedWriter w =
                    Files.newBufferedWriter(dir.resolve(String.format("part-%03d.jsonl", f)), StandardCharsets.UTF_8)) {
                for (String d : docs.subList(Math.min(docs.size(), f * per), Math.min(docs.size(), (f + 1) * per))) {
                    w.write(json.writeValueAsString(Collections.singletonMap("text", d)));
                    w.write('\n');
                }
            }
        }
    }
}
