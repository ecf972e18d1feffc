package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.trainer.safetensors.SafetensorsFile;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The adapter in test resources peft-check/ was saved by our trainer and loaded by Python peft, whose logits
 * matched the stored java_logits.safetensors to 1.1e-6 relative (trainer/tools/check_peft_adapter.py; torch 2.11,
 * transformers 5.17, peft 0.21). Today's forward must still give those logits, so what peft computes and what we
 * compute cannot drift apart unnoticed between checks.
 */
class PeftCheckedAdapterTest {

    @Test
    void todaysForwardGivesTheLogitsPeftWasCheckedAgainst(@TempDir Path tmp) throws Exception {
        Path resources = Paths.get(System.getProperty("project.root"), "trainer", "src", "test", "resources");
        Path out = tmp.resolve("logits.safetensors");
        AdapterLogits.write(
                resources.resolve("goldens/llama3/base"),
                resources.resolve("peft-check/llama3/adapter"),
                resources.resolve("goldens/llama3/inputs.safetensors"),
                out);
        try (SafetensorsFile checked =
                        SafetensorsFile.open(resources.resolve("peft-check/llama3/java_logits.safetensors"));
                SafetensorsFile now = SafetensorsFile.open(out)) {
            float[] want = checked.readFloats("logits");
            float[] got = now.readFloats("logits");
            assertEquals(want.length, got.length);
            float scale = 0;
            float worst = 0;
            for (int i = 0; i < want.length; i++) {
                scale = Math.max(scale, Math.abs(want[i]));
                worst = Math.max(worst, Math.abs(want[i] - got[i]));
            }
            assertTrue(worst <= 1e-5f * scale, "max |now - checked| = " + worst + " against max |logit| " + scale);
        }
    }
}
