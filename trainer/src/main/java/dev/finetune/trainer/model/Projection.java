package dev.finetune.trainer.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The seven linear projections of a decoder layer, in forward order: their names in transformers' modules
 * ({@code q_proj} … {@code down_proj}, also what peft's {@code target_modules} lists), their checkpoint keys,
 * and their shapes for a config. Every other place that needs a projection's name, key or shape asks here.
 *
 * <p>Letters as in {@link DecoderLayer}: D hidden, H query heads, Hkv KV heads, Dh head dim, F MLP width.
 */
public enum Projection {
    /** [D] → [H·Dh]. */
    Q_PROJ("q_proj", true),
    /** [D] → [Hkv·Dh]. */
    K_PROJ("k_proj", true),
    /** [D] → [Hkv·Dh]. */
    V_PROJ("v_proj", true),
    /** [H·Dh] → [D]. */
    O_PROJ("o_proj", true),
    /** [D] → [F]. */
    GATE_PROJ("gate_proj", false),
    /** [D] → [F]. */
    UP_PROJ("up_proj", false),
    /** [F] → [D]. */
    DOWN_PROJ("down_proj", false);

    private static final List<Projection> ALL = Collections.unmodifiableList(Arrays.asList(values()));
    private static final List<String> NAMES;

    static {
        List<String> names = new ArrayList<>();
        for (Projection p : ALL) {
            names.add(p.hfName);
        }
        NAMES = Collections.unmodifiableList(names);
    }

    /** The module's attribute name in transformers, e.g. {@code q_proj}. */
    public final String hfName;
    /** Whether it belongs to the attention block ({@code self_attn}) rather than the MLP ({@code mlp}). */
    public final boolean attention;

    Projection(String hfName, boolean attention) {
        this.hfName = hfName;
        this.attention = attention;
    }

    /** All seven in forward order (q, k, v, o, gate, up, down). */
    public static List<Projection> all() {
        return ALL;
    }

    /** Their {@link #hfName}s in forward order. */
    public static List<String> names() {
        return NAMES;
    }

    /** The projection called {@code hfName}; an unknown name is refused with the list of known ones. */
    public static Projection named(String hfName) {
        for (Projection p : ALL) {
            if (p.hfName.equals(hfName)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown projection '" + hfName + "'; known: " + NAMES);
    }

    /** {@code self_attn} or {@code mlp}: the block that holds it in transformers' decoder layer. */
    public String block() {
        return attention ? "self_attn" : "mlp";
    }

    /** The module's name inside the HF model, e.g. {@code model.layers.0.mlp.up_proj}. */
    public String module(int layer) {
        return "model.layers." + layer + "." + block() + "." + hfName;
    }

    /** The checkpoint key of its weight [out, in], e.g. {@code model.layers.0.self_attn.q_proj.weight}. */
    public String weightKey(int layer) {
        return module(layer) + ".weight";
    }

    /** The checkpoint key of its bias [out]. */
    public String biasKey(int layer) {
        return module(layer) + ".bias";
    }

    /** Input features for this config. */
    public long in(ModelConfig c) {
        switch (this) {
            case O_PROJ:
                return (long) c.numHeads * c.headDim;
            case DOWN_PROJ:
                return c.intermediateSize;
            default:
                return c.hiddenSize;
        }
    }

    /** Output features for this config. */
    public long out(ModelConfig c) {
        switch (this) {
            case Q_PROJ:
                return (long) c.numHeads * c.headDim;
            case K_PROJ:
            case V_PROJ:
                return (long) c.numKvHeads * c.headDim;
            case GATE_PROJ:
            case UP_PROJ:
                return c.intermediateSize;
            default:
                return c.hiddenSize;
        }
    }

    /** Whether a checkpoint of this config has its bias (q/k/v: {@code qkvBias}, o: {@code oBias}, MLP: {@code mlpBias}). */
    public boolean hasBias(ModelConfig c) {
        switch (this) {
            case Q_PROJ:
            case K_PROJ:
            case V_PROJ:
                return c.qkvBias;
            case O_PROJ:
                return c.oBias;
            default:
                return c.mlpBias;
        }
    }

    @Override
    public String toString() {
        return hfName;
    }
}
