package dev.finetune.trainer.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.trainer.model.ModelConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

class BenchCommandTest {

    @Test
    void printsOneJsonLineWithThroughputMemoryAndPhasesThatAddUp() throws Exception {
        BenchCommand.Options o = new BenchCommand.Options();
        o.shape = Paths.get(System.getProperty("fixtures.dir"), "reference", "models", "llama", "base", "config.json")
                .toString();
        o.seq = 16;
        o.microBatch = 2;
        o.steps = 1;
        o.loraR = 4;
        o.quant = "nf4";
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        String line = BenchCommand.run(o, new PrintStream(bytes, true));
        assertEquals(line + System.lineSeparator(), bytes.toString(), "exactly one line");
        JsonNode j = new ObjectMapper().readTree(line);
        assertTrue(j.get("tokens_per_s").asDouble() > 0);
        assertTrue(j.get("step_s").asDouble() > 0);
        assertTrue(j.get("peak_mem_gib").asDouble() > 0);
        assertEquals(32, j.get("tokens_per_step").asInt());
        double sum = 0;
        for (String k : new String[] {
            "dequantize", "attention", "projections", "loss", "optimizer", "all_reduce", "backward", "other"
        }) {
            assertTrue(j.get("phases_ms").has(k), "phases_ms." + k + " in " + line);
            sum += j.get("phases_ms").get(k).asDouble();
        }
        assertTrue(j.get("phases_ms").get("dequantize").asDouble() > 0, "NF4 weights are dequantized: " + line);
        assertEquals(j.get("phases_ms").get("step_synced").asDouble(), sum, 0.05 * sum + 1, "phases add up: " + line);
        assertTrue(Double.isFinite(j.get("loss_first").asDouble()));
    }

    @Test
    void anUnknownShapeIsRefusedWithTheKnownOnes() {
        BenchCommand.Options o = new BenchCommand.Options();
        o.shape = "gpt-9";
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> BenchCommand.run(o, new PrintStream(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().contains("qwen2-7b"), e.getMessage());
    }

    @Test
    void hostCostKeepsLayersHeadsProjectionsAndVocabularyButNotTheArithmetic() throws Exception {
        for (String shape : BenchCommand.SHAPES) {
            ModelConfig real = ModelConfig.parse(BenchCommand.shapeConfig(shape, 0), shape);
            ModelConfig small =
                    ModelConfig.parse(BenchCommand.hostCostShape(BenchCommand.shapeConfig(shape, 0)), shape);
            assertEquals(real.numLayers, small.numLayers, shape);
            assertEquals(real.numHeads, small.numHeads, shape);
            assertEquals(real.numKvHeads, small.numKvHeads, shape);
            assertEquals(real.vocabSize, small.vocabSize, shape);
            assertEquals(real.tieWordEmbeddings, small.tieWordEmbeddings, shape);
            assertEquals(4, small.headDim, shape);
            assertEquals(4 * real.numHeads, small.hiddenSize, shape);
            assertTrue(
                    small.intermediateSize * (long) small.hiddenSize * 100
                            < real.intermediateSize * (long) real.hiddenSize,
                    shape + ": the MLP keeps under 1 % of its weights");
        }
    }

    @Test
    void documentsSplitEachRowIntoThatManyRunsWhoseFirstTokenIsNoTarget() {
        BenchCommand.Options o = new BenchCommand.Options();
        o.seq = 10;
        o.microBatch = 2;
        o.documents = 3;
        dev.finetune.trainer.train.MicroBatch mb =
                BenchCommand.synthetic(o.validate(), 100).get(0);
        for (int r = 0; r < 2; r++) {
            int runs = 0;
            for (int t = 0; t < 10; t++) {
                int i = r * 10 + t;
                boolean starts = t == 0 || mb.segments[i] != mb.segments[i - 1];
                runs += starts ? 1 : 0;
                assertEquals(starts ? 0 : 1, mb.targets[i], "row " + r + " token " + t);
            }
            assertEquals(3, runs, "row " + r);
        }
    }
}
