package dev.finetune.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every preset users are pointed at in conf/ must load and validate as shipped. */
class ConfPresetsTest {

    static List<Path> presets() throws IOException {
        Path conf = Paths.get(System.getProperty("project.root", "..")).resolve("conf");
        try (Stream<Path> s = Files.list(conf)) {
            return s.filter(p -> p.toString().endsWith(".yaml")).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void everyPresetValidates() throws IOException {
        List<Path> presets = presets();
        assertFalse(presets.isEmpty(), "no presets found in conf/");
        for (Path p : presets) {
            ConfigLoader.load(p, Collections.emptyMap());
        }
    }

    @Test
    void thePresetsCoverTheSeedHardware() throws IOException {
        String names = presets().toString();
        for (String n : new String[] {"t4-16gb", "l4-24gb", "a100-40gb", "gpt-oss-120b-experimental", "demo"}) {
            assertTrue(names.contains(n + ".yaml"), n + " missing from " + names);
        }
    }

    @Test
    void gpuPresetsNameAModelAndADataset() throws IOException {
        for (Path p : presets()) {
            if (!p.getFileName().toString().equals("demo.yaml")) {
                RunConfig c = ConfigLoader.load(p, Collections.emptyMap());
                c.require(p.getFileName().toString(), "base_model_id", "dataset_id");
                assertTrue(c.use4bit, p + " should use QLoRA (use_4bit: true)");
            }
        }
    }
}
