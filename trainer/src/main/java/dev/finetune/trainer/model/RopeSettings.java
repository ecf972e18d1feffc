package dev.finetune.trainer.model;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Rotary position embedding settings and the inverse frequencies they give, as transformers'
 * {@code modeling_rope_utils.py} computes them for rope types "default", "linear" and "llama3".
 */
public final class RopeSettings {
    public final String type;
    public final double theta;
    public final double factor;
    public final double lowFreqFactor;
    public final double highFreqFactor;
    public final int originalMaxPositions;
    private final int headDim;

    private RopeSettings(
            String type, double theta, double factor, double low, double high, int originalMax, int headDim) {
        this.type = type;
        this.theta = theta;
        this.factor = factor;
        this.lowFreqFactor = low;
        this.highFreqFactor = high;
        this.originalMaxPositions = originalMax;
        this.headDim = headDim;
    }

    /** Reads {@code rope_parameters} (transformers 5) or {@code rope_theta} + {@code rope_scaling}. */
    static RopeSettings from(JsonNode c, int headDim, String where) {
        JsonNode params = c.path("rope_parameters");
        JsonNode scaling;
        double theta;
        if (params.isObject()) {
            if (!params.has("rope_type") && !params.has("rope_theta")) {
                throw new IllegalArgumentException(
                        where + ": rope_parameters per layer type is not supported: " + params);
            }
            scaling = params;
            theta = params.path("rope_theta").asDouble(c.path("rope_theta").asDouble(10000.0));
        } else {
            scaling = c.path("rope_scaling");
            theta = c.path("rope_theta").asDouble(10000.0);
        }
        String type = "default";
        if (scaling.isObject()) {
            type = scaling.hasNonNull("rope_type")
                    ? scaling.get("rope_type").asText()
                    : scaling.path("type").asText("default");
        }
        switch (type) {
            case "default":
                return new RopeSettings(type, theta, 1, 0, 0, 0, headDim);
            case "linear":
                return new RopeSettings(type, theta, scaling.path("factor").asDouble(1), 0, 0, 0, headDim);
            case "llama3":
                return new RopeSettings(
                        type,
                        theta,
                        scaling.path("factor").asDouble(8),
                        scaling.path("low_freq_factor").asDouble(1),
                        scaling.path("high_freq_factor").asDouble(4),
                        scaling.path("original_max_position_embeddings").asInt(8192),
                        headDim);
            default:
                throw new IllegalArgumentException(
                        where + ": rope type '" + type + "' is not supported; supported: default, linear, llama3");
        }
    }

    /** inv_freq[i] for i < headDim/2, in float32 as transformers computes it. */
    public float[] inverseFrequencies() {
        int half = headDim / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / headDim;
            inv[i] = (float) (1.0 / Math.pow(theta, exponent));
        }
        if (type.equals("linear")) {
            for (int i = 0; i < half; i++) {
                inv[i] = (float) (inv[i] / factor);
            }
        } else if (type.equals("llama3")) {
            double lowWavelen = originalMaxPositions / lowFreqFactor;
            double highWavelen = originalMaxPositions / highFreqFactor;
            for (int i = 0; i < half; i++) {
                double f = inv[i];
                double wavelen = 2 * Math.PI / f;
                double scaled = wavelen > lowWavelen ? f / factor : f;
                if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
                    double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                    scaled = (1 - smooth) * scaled / factor + smooth * scaled;
                }
                inv[i] = (float) scaled;
            }
        }
        return inv;
    }

    @Override
    public String toString() {
        return type + "(theta=" + theta + (type.equals("default") ? "" : ", factor=" + factor) + ")";
    }
}
