package dev.finetune.trainer.lora;

/** The LoRA pairs of one decoder layer; a field is null where the adapter does not target that projection. */
public final class LoraLayer {
    public final LoraLinear qProj;
    public final LoraLinear kProj;
    public final LoraLinear vProj;
    public final LoraLinear oProj;
    public final LoraLinear gateProj;
    public final LoraLinear upProj;
    public final LoraLinear downProj;

    /** @param byProjection indexed like {@link PeftKeys#PROJECTIONS} */
    LoraLayer(LoraLinear[] byProjection) {
        qProj = byProjection[0];
        kProj = byProjection[1];
        vProj = byProjection[2];
        oProj = byProjection[3];
        gateProj = byProjection[4];
        upProj = byProjection[5];
        downProj = byProjection[6];
    }

    /** A layer without adapters. */
    public static final LoraLayer NONE = new LoraLayer(new LoraLinear[7]);
}
