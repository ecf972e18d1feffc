package dev.finetune.app.distributed;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Spark standalone cluster on this machine, as separate JVMs: a master and workers started from a Spark home
 * laid out like a Spark distribution ({@code jars/} = the Spark and Hadoop jars of this build, {@code conf/} with a
 * core-site.xml, as Dataproc's /etc/hadoop/conf), and jobs submitted through spark-submit's main class
 * (org.apache.spark.deploy.SparkSubmit) in their own JVMs. Each worker has its own work, local and cache folders
 * and environment; its executors and their children inherit that environment, as on a real node.
 */
final class StandaloneSpark implements AutoCloseable {

    /** What a submitted job left: its exit code and its output (stdout and stderr). */
    static final class Submitted {
        final int exitCode;
        final String output;

        Submitted(int exitCode, String output) {
            this.exitCode = exitCode;
            this.output = output;
        }
    }

    private final Path root;
    private final Path sparkHome;
    private final List<Process> processes = new ArrayList<>();
    private String masterUrl;

    private StandaloneSpark(Path root, Path sparkHome) {
        this.root = root;
        this.sparkHome = sparkHome;
    }

    /**
     * Lays out {@code root/spark-home}: jars/ links to {@code sparkJars}, conf/core-site.xml with {@code hadoopConf}.
     */
    static StandaloneSpark create(Path root, List<Path> sparkJars, Map<String, String> hadoopConf) throws IOException {
        Path home = root.resolve("spark-home");
        Files.createDirectories(home.resolve("jars"));
        Files.createDirectories(home.resolve("conf"));
        for (Path jar : sparkJars) {
            Files.createSymbolicLink(home.resolve("jars").resolve(jar.getFileName()), jar);
        }
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\"?>\n<configuration>\n");
        for (Map.Entry<String, String> e : hadoopConf.entrySet()) {
            xml.append("  <property><name>")
                    .append(e.getKey())
                    .append("</name><value>")
                    .append(e.getValue())
                    .append("</value></property>\n");
        }
        xml.append("</configuration>\n");
        Files.write(home.resolve("conf/core-site.xml"), xml.toString().getBytes(StandardCharsets.UTF_8));
        return new StandaloneSpark(root, home);
    }

    /**
     * The jars a Spark 3.5 cluster brings: this test JVM's class path less this project's own modules, the test
     * libraries, and the libraries only this project brings (DJL and its JNA and Gson, the tokenizers, the CPU
     * libtorch, the GCS connector). snakeyaml and jackson-dataformat-yaml are left out as well: Spark images have
     * come without them, so the thin jar must carry its own.
     */
    static List<Path> sparkJars(Path projectRoot) {
        List<Path> out = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Paths.get(entry).toAbsolutePath().normalize();
            String name = p.getFileName().toString();
            String where = p.toString().replace(File.separatorChar, '/');
            if (!name.endsWith(".jar")
                    || p.startsWith(projectRoot)
                    || where.contains("/dev/finetune/")
                    || where.contains("/ai/djl/")
                    || where.contains("/net/java/dev/jna/")
                    || where.contains("/com/google/code/gson/")
                    || where.contains("/com/tngtech/")
                    || name.matches("(junit|opentest4j|apiguardian|slf4j-simple|snakeyaml|jackson-dataformat-yaml"
                            + "|gcs-connector|surefire).*")) {
                continue;
            }
            out.add(p);
        }
        return out;
    }

    /** The thin jar the build made before the tests (app/target/app-<version>-spark.jar). */
    static Path thinJar(Path projectRoot) throws IOException {
        Path target = projectRoot.resolve("app/target");
        try (java.util.stream.Stream<Path> s = Files.list(target)) {
            return s.filter(p -> p.getFileName().toString().endsWith("-spark.jar"))
                    .findFirst()
                    .orElseThrow(() ->
                            new AssertionError("no thin jar in " + target + ": the build makes it before the tests"));
        }
    }

    /** The CPU libtorch DJL extracted for this JVM: its libraries, not DJL's own JNI library. */
    static List<Path> cpuLibtorchFiles() throws IOException {
        ai.djl.engine.Engine.getEngine("PyTorch"); // extracts libtorch into DJL's cache
        Path dir = Paths.get(ai.djl.pytorch.jni.LibUtils.getLibtorchPath());
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().contains("djl_torch"))
                    .collect(java.util.stream.Collectors.toList());
        }
    }

    /** This JVM's module opens (the parent pom's java17.opens), which Spark needs on Java 17. */
    static List<String> opens() {
        List<String> out = new ArrayList<>();
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens")
                    || a.equals("-XX:+IgnoreUnrecognizedVMOptions")
                    || a.startsWith("-Djdk.reflect.useDirectMethodHandle")) {
                out.add(a);
            }
        }
        return out;
    }

    Path sparkHome() {
        return sparkHome;
    }

    String masterUrl() {
        return masterUrl;
    }

    private List<String> java(String heap, String mainClass) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(opens());
        cmd.add("-Xmx" + heap);
        cmd.add("-cp");
        cmd.add(sparkHome.resolve("conf") + File.pathSeparator + sparkHome.resolve("jars") + File.separator + "*");
        cmd.add(mainClass);
        return cmd;
    }

    /** A clean environment: none of the test JVM's Hub or DJL settings, Spark pointed at this home. */
    private Map<String, String> baseEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        for (String k : new String[] {"PATH", "LANG", "HOME"}) {
            if (System.getenv(k) != null) {
                env.put(k, System.getenv(k));
            }
        }
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("SPARK_HOME", sparkHome.toString());
        env.put("SPARK_SCALA_VERSION", "2.12");
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        env.put("OPT_OUT_TRACKING", "true");
        return env;
    }

    private Process start(String name, List<String> cmd, Map<String, String> env) throws IOException {
        return start(name, cmd, env, root);
    }

    private Process start(String name, List<String> cmd, Map<String, String> env, Path workingDir) throws IOException {
        Path log = root.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .directory(workingDir.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    /** Starts the master and waits until it accepts workers. */
    void startMaster() throws Exception {
        int port = freePort();
        List<String> cmd = java("256m", "org.apache.spark.deploy.master.Master");
        cmd.addAll(Arrays.asList(
                "--host", "127.0.0.1", "--port", String.valueOf(port), "--webui-port", String.valueOf(freePort())));
        Process p = start("master", cmd, baseEnv());
        masterUrl = "spark://127.0.0.1:" + port;
        awaitLine(p, root.resolve("master.log"), Pattern.compile("I have been elected leader"), 120);
    }

    /**
     * Starts a worker with {@code cores} cores and {@code memory} for executors; {@code env} is the node's own
     * environment (cache folders, ...). Waits until it has registered with the master.
     */
    void startWorker(String name, int cores, String memory, Map<String, String> env) throws Exception {
        Path dir = root.resolve(name);
        Files.createDirectories(dir.resolve("work"));
        Files.createDirectories(dir.resolve("local"));
        Map<String, String> all = baseEnv();
        all.put("SPARK_LOCAL_DIRS", dir.resolve("local").toString());
        all.putAll(env);
        List<String> cmd = java("256m", "org.apache.spark.deploy.worker.Worker");
        cmd.addAll(Arrays.asList(
                "--host",
                "127.0.0.1",
                "--cores",
                String.valueOf(cores),
                "--memory",
                memory,
                "--work-dir",
                dir.resolve("work").toString(),
                "--webui-port",
                String.valueOf(freePort()),
                masterUrl));
        Process p = start(name, cmd, all);
        awaitLine(p, root.resolve(name + ".log"), Pattern.compile("Successfully registered with master"), 120);
    }

    /**
     * spark-submit in client mode through its main class: {@code --master <this cluster>}, the given submit options
     * and properties, the application jar and its arguments; the driver JVM gets {@code env} and runs in
     * {@code workingDir}.
     */
    Submitted submit(
            String name,
            List<String> submitOptions,
            Path appJar,
            List<String> appArgs,
            Map<String, String> env,
            Path workingDir,
            long timeoutS)
            throws Exception {
        List<String> cmd = java("768m", "org.apache.spark.deploy.SparkSubmit");
        cmd.addAll(Arrays.asList("--master", masterUrl, "--deploy-mode", "client"));
        cmd.addAll(submitOptions);
        cmd.add(appJar.toString());
        cmd.addAll(appArgs);
        Map<String, String> all = baseEnv();
        all.putAll(env);
        Process p = start(name, cmd, all, workingDir);
        if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
            destroyTree(p);
            throw new AssertionError(name + " did not finish in " + timeoutS + " s; its log:\n" + tail(name));
        }
        return new Submitted(
                p.exitValue(), new String(Files.readAllBytes(root.resolve(name + ".log")), StandardCharsets.UTF_8));
    }

    /** The last lines of a process's log. */
    String tail(String name) throws IOException {
        List<String> lines = Files.readAllLines(root.resolve(name + ".log"), StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
    }

    private static void awaitLine(Process p, Path log, Pattern pattern, int timeoutS) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
        while (System.nanoTime() < deadline) {
            String text = Files.exists(log) ? new String(Files.readAllBytes(log), StandardCharsets.UTF_8) : "";
            Matcher m = pattern.matcher(text);
            if (m.find()) {
                return;
            }
            if (!p.isAlive()) {
                throw new AssertionError(log.getFileName() + ": the process exited (" + p.exitValue() + "):\n" + text);
            }
            Thread.sleep(100);
        }
        throw new AssertionError(log.getFileName() + ": no line matching " + pattern + " in " + timeoutS + " s");
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Stops every process this cluster started, with their children (executors, rank JVMs). */
    @Override
    public void close() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            destroyTree(processes.get(i));
        }
    }

    private static void destroyTree(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
