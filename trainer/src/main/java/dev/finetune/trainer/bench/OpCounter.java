package dev.finetune.trainer.bench;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.trainer.tensor.OpProfiler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts the ATen ops one piece of work dispatches, through PyTorch's (legacy) profiler as DJL exposes it: the
 * work runs with the profiler on, its trace is written to a temporary file and read back. {@code ops_per_step}
 * counts every op event (an op that calls others counts each of them); {@code top_level_ops_per_step} counts
 * only those no other op encloses on the same thread: roughly one per JNI call that does tensor work from Java,
 * plus one per autograd node in backward. Both are exact counts, unlike wall time on a shared machine.
 */
public final class OpCounter {

    private OpCounter() {}

    /**
     * Runs {@code work} under the profiler and returns its op counts (JSON keys of the bench line). With the system
     * property {@code finetune.opTrace} set to a path, the trace (Chrome trace JSON: name, ts, dur, tid per op) is
     * kept there for a closer look.
     */
    public static Map<String, Long> countStep(Device device, Runnable work) {
        Path trace;
        try {
            trace = Files.createTempFile("finetune-ops", ".json");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            OpProfiler.record(trace, work);
            return count(new ObjectMapper().readTree(trace.toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the profiler trace " + trace, e);
        } finally {
            String keep = System.getProperty("finetune.opTrace");
            if (keep != null) {
                try {
                    Files.move(trace, java.nio.file.Paths.get(keep), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e) {
                    System.err.println("note: could not keep the op trace at " + keep + ": " + e.getMessage());
                }
            }
            trace.toFile().delete();
        }
    }

    static Map<String, Long> count(JsonNode trace) {
        boolean kineto = trace.has("traceEvents"); // a Kineto trace: host ops are the cpu_op events
        JsonNode events = kineto ? trace.get("traceEvents") : trace;
        Map<Long, List<double[]>> byThread = new HashMap<>();
        long all = 0;
        for (JsonNode e : events) {
            if (!"X".equals(e.path("ph").asText())
                    || e.path("name").asText().startsWith("__")
                    || (kineto && !"cpu_op".equals(e.path("cat").asText()))) {
                continue;
            }
            all++;
            byThread.computeIfAbsent(e.path("tid").asLong(), t -> new ArrayList<>())
                    .add(new double[] {e.path("ts").asDouble(), e.path("dur").asDouble()});
        }
        long top = 0;
        for (List<double[]> list : byThread.values()) {
            list.sort((a, b) -> a[0] != b[0] ? Double.compare(a[0], b[0]) : Double.compare(b[1], a[1]));
            double end = Double.NEGATIVE_INFINITY;
            for (double[] ev : list) {
                if (ev[0] >= end) {
                    top++;
                    end = ev[0] + ev[1];
                }
            }
        }
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("ops_per_step", all);
        out.put("top_level_ops_per_step", top);
        return out;
    }
}
