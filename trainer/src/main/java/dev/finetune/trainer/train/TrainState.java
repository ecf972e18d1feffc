package dev.finetune.trainer.train;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything besides tensors that a checkpoint must hold for a resumed run to continue exactly
 * ({@code trainer_state.json}): the data cursor, the optimizer's step count, the schedule, the loss scaler, the
 * RNG scheme, the logged history (for the loss curve) and the resolved options.
 *
 * <p>RNG: dropout draws from the engine's generator, which DJL cannot snapshot; so the trainer re-seeds it
 * before every optimizer step from (seed, global_step), and the state to save is just the seed.
 */
public final class TrainState {

    public static final String FILE = "trainer_state.json";
    public static final String FORMAT = "finetune-trainer-state";
    public static final int VERSION = 1;

    public String format = FORMAT;
    public int formatVersion = VERSION;
    /** Optimizer steps completed, including skipped (overflowed) ones: the data cursor counts these. */
    public long globalStep;
    /** Epoch and step within it of the next step to run. */
    public int epoch;

    public long stepInEpoch;
    /** AdamW updates made (torch's state["step"]); the LR schedule is indexed by this. */
    public long optimizerSteps;

    public double lossScale = 1.0;
    public int scalerGoodSteps;
    public long skippedSteps;
    public String lrScheduler;
    public double learningRate;
    public long warmupSteps;
    public long totalSteps;
    public long seed;
    public String rngScheme = "engine seed = mix(seed, global_step) before every optimizer step";
    public int worldSize = 1;
    public long tokensSeen;
    /** One entry per logged step: step, loss, learning_rate, grad_norm, and eval_loss where evaluated. */
    public List<Map<String, Object>> logHistory = new ArrayList<>();

    public Map<String, Object> config = new LinkedHashMap<>();
    /**
     * What the run was trained from: {@code data} (the shards' fingerprint), {@code max_seq_length},
     * {@code model} (the base's fingerprint) and the options that change the result; resume: auto continues a
     * checkpoint only when this equals the new run's.
     */
    public Map<String, Object> trainedFrom = new LinkedHashMap<>();

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    public byte[] toJson() throws IOException {
        return MAPPER.writeValueAsBytes(this);
    }

    public static TrainState fromJson(byte[] json, String where) throws IOException {
        TrainState s = MAPPER.readValue(json, TrainState.class);
        if (!FORMAT.equals(s.format) || s.formatVersion < 1 || s.formatVersion > VERSION) {
            throw new IOException(where + ": format " + s.format + " version " + s.formatVersion + ", this trainer "
                    + "reads " + FORMAT + " versions 1.." + VERSION + "; resume with the trainer that wrote it or "
                    + "start fresh with resume=never");
        }
        return s;
    }

    /**
     * {@code values} as they read back from a checkpoint's JSON (42 as an Integer whether it was an int or a long,
     * lists as lists), so a saved map and a live one compare equal exactly when their JSON does.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> normalized(Map<String, Object> values) {
        if (values == null) {
            return new LinkedHashMap<>();
        }
        try {
            return MAPPER.readValue(MAPPER.writeValueAsBytes(values), LinkedHashMap.class);
        } catch (IOException e) {
            throw new IllegalStateException("options are not JSON: " + e.getMessage(), e);
        }
    }

    /** The seed the engine gets before the optimizer step {@code step} (splitmix64 of the pair). */
    public static int stepSeed(long seed, long step) {
        long z = seed * 0x9E3779B97F4A7C15L + step + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (int) (z & 0x7FFFFFFF);
    }
}
