package dev.finetune.trainer.distributed;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Runs one rank's trainer as a child JVM on this JVM's java and classpath (like TorchDistributor runs torchrun):
 * streams its output line by line to {@code log} with a rank prefix, kills it when {@code cancelled} turns true
 * or the waiting thread is interrupted, and fails with its exit code and last lines when it exits non-zero.
 * Secrets belong in {@code env} (the child inherits this JVM's environment), never in arguments.
 */
public final class ChildSupervisor {

    private static final int TAIL_LINES = 40;

    private ChildSupervisor() {}

    /** The java command line of a child that runs {@code mainClass} with {@code args}. */
    public static List<String> javaCommand(List<String> jvmOptions, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    /**
     * This JVM's class path plus the jars of the context class loader chain: Spark executors load the
     * application jar through their own loader, not through java.class.path.
     */
    static String classPath() {
        Set<String> entries = new LinkedHashSet<>();
        for (ClassLoader cl = Thread.currentThread().getContextClassLoader(); cl != null; cl = cl.getParent()) {
            if (cl instanceof URLClassLoader) {
                for (URL u : ((URLClassLoader) cl).getURLs()) {
                    if ("file".equals(u.getProtocol())) {
                        try {
                            entries.add(Paths.get(u.toURI()).toString());
                        } catch (java.net.URISyntaxException e) {
                            entries.add(u.getPath());
                        }
                    }
                }
            }
        }
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!e.isEmpty()) {
                entries.add(e);
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    /**
     * Starts the child and waits for it. Returns normally only on exit code 0.
     *
     * @param name      e.g. "rank 1", prefixed to every line and used in errors
     * @param cancelled polled every 200 ms; true kills the child (the task was killed)
     */
    public static void run(
            String name, List<String> command, Map<String, String> env, Consumer<String> log, BooleanSupplier cancelled)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        Deque<String> tail = new ArrayDeque<>();
        Thread pump = new Thread(() -> pump(p, name, log, tail), "child-output-" + name.replace(' ', '-'));
        pump.setDaemon(true);
        pump.start();
        try {
            while (!p.waitFor(200, TimeUnit.MILLISECONDS)) {
                if (cancelled.getAsBoolean()) {
                    kill(p);
                    throw new InterruptedException(name + ": cancelled, child JVM killed");
                }
            }
        } catch (InterruptedException e) {
            kill(p);
            throw e;
        }
        pump.join(5000);
        int code = p.exitValue();
        if (code != 0) {
            StringBuilder sb = new StringBuilder();
            synchronized (tail) {
                for (String line : tail) {
                    sb.append("\n  ").append(line);
                }
            }
            throw new IOException(name + ": child JVM exited with code " + code
                    + (code > 128 ? " (killed by signal " + (code - 128) + ")" : "") + "; its last lines:" + sb);
        }
    }

    private static void pump(Process p, String name, Consumer<String> log, Deque<String> tail) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                log.accept("[" + name + "] " + line);
                synchronized (tail) {
                    tail.addLast(line);
                    if (tail.size() > TAIL_LINES) {
                        tail.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            log.accept("[" + name + "] output stream closed: " + e.getMessage());
        }
    }

    /** SIGTERM, then SIGKILL after 10 s (and the child's own children with it). */
    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
