package dev.finetune.config;

/** Groups of configuration keys, in the order the seed notebook introduces them; used for help and docs. */
public enum Section {
    PROJECT("Project and output"),
    MODEL("Base model"),
    DATA("Dataset and packing"),
    LORA("LoRA / QLoRA"),
    TRAINING("Training"),
    GENERATION("Generation (inference demo)"),
    HUB("Hub push"),
    RUNTIME("Runtime");

    public final String title;

    Section(String title) {
        this.title = title;
    }
}
