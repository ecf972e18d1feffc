package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.trainer.safetensors.SafetensorsFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What the law tests read back from a training run's output folder. */
public final class RunOutputs {

    private static final ObjectMapper JSON = new ObjectMapper();

    private RunOutputs() {}

    /** The loss of every logged optimizer step in a metrics-*.jsonl file, in order. */
    public static List<Double> trainLosses(Path metrics) throws Exception {
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
            JsonNode n = JSON.readTree(line);
            if ("train".equals(n.path("kind").asText()) && n.has("loss")) {
                losses.add(n.get("loss").asDouble());
            }
        }
        return losses;
    }

    /** Both adapter_model.safetensors files hold the same tensors, element by element within {@code tolerance}. */
    public static void assertSameAdapter(Path expected, Path actual, float tolerance) throws Exception {
        try (SafetensorsFile a = SafetensorsFile.open(expected);
                SafetensorsFile b = SafetensorsFile.open(actual)) {
            assertEquals(a.names(), b.names());
            for (String name : a.names()) {
                float[] x = a.readFloats(name);
                float[] y = b.readFloats(name);
                assertEquals(x.length, y.length, name);
                for (int i = 0; i < x.length; i++) {
                    assertEquals(x[i], y[i], tolerance, name + "[" + i + "]");
                }
            }
        }
    }
}
