package dev.finetune.pipeline.spark;

/** Child-process entry for the atomicity test: the prepare CLI with the code-point encoder. */
public final class KillableChild {
    private KillableChild() {}

    public static void main(String[] args) {
        System.exit(PrepareMain.run(args, o -> new CodePointEncoderFactory(o.textColumn, 0)));
    }
}
