package dev.finetune.trainer.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.trainer.model.PhaseObserver;
import dev.finetune.trainer.model.PhaseObserver.Phase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Paths;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PhaseTimerTest {

    @Test
    void nestedPhasesCountExclusiveTimeSoTheTotalsAddUpToTheWallTime() throws Exception {
        PhaseTimer timer = new PhaseTimer();
        timer.enable(false);
        long t0 = System.nanoTime();
        PhaseObserver.Span outer = timer.begin(Phase.LOSS);
        Thread.sleep(20);
        PhaseObserver.Span inner = timer.begin(Phase.BACKWARD);
        Thread.sleep(30);
        inner.end();
        Thread.sleep(10);
        outer.end();
        double wall = (System.nanoTime() - t0) / 1e6;
        Map<Phase, Double> ms = timer.totalsMillis();
        assertTrue(ms.get(Phase.BACKWARD) >= 30 && ms.get(Phase.LOSS) >= 30, ms.toString());
        assertEquals(wall, ms.get(Phase.LOSS) + ms.get(Phase.BACKWARD), 1.0, "exclusive times add up: " + ms);
        timer.disable();
        assertTrue(
                timer.begin(Phase.LOSS) == PhaseObserver.NONE.begin(Phase.LOSS), "a disabled timer's span is a no-op");
    }

    @Test
    void theModelAndTheOptimizerStepReportTheirPhasesToTheTimerTheyAreGiven() throws Exception {
        BenchCommand.Options o = new BenchCommand.Options();
        o.shape = Paths.get(System.getProperty("fixtures.dir"), "reference", "models", "llama", "base", "config.json")
                .toString();
        o.seq = 16;
        o.steps = 1;
        o.warmup = 0;
        o.loraR = 4;
        String line = BenchCommand.run(o, new PrintStream(new ByteArrayOutputStream(), true));
        JsonNode phases = new ObjectMapper().readTree(line).get("phases_ms");
        for (String k : new String[] {"dequantize", "attention", "projections", "loss", "backward", "optimizer"}) {
            assertTrue(phases.get(k).asDouble() > 0, k + " was observed: " + phases);
        }
    }
}
