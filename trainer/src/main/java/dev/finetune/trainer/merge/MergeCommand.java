package dev.finetune.trainer.merge;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The options of {@code merge}: which base and adapter, where the merged model goes and how it is written.
 * Filled by the CLI (flags) or by code; {@link #validate()} checks them all before anything is read.
 */
public final class MergeCommand {
    /** transformers' default {@code max_shard_size="5GB"}: 5·10⁹ bytes. */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]I?B|B)?");

    /** --model DIR: the base model folder with its original weights (BF16/F16/F32 safetensors); local disk. */
    public Path model;
    /** --adapter DIR: a peft LoRA adapter folder; local, or any Hadoop path (copied to local disk first). */
    public String adapter;
    /** --output PATH: the merged model folder; local, Drive, hdfs:// or gs://. */
    public String output;
    /** --dtype bf16|fp16|fp32; null (default) keeps the base checkpoint's dtype from its config.json. */
    public OutputDtype dtype;
    /** --max-shard-size: bytes of tensor data per file, default 5GB as transformers. */
    public long maxShardBytes = DEFAULT_MAX_SHARD_BYTES;
    /** --overwrite: replace a complete output (the old one is removed only once the new one is complete). */
    public boolean overwrite;

    /** Checks every option; names the option, the value and what is allowed. */
    public void validate() {
        if (model == null) {
            throw new IllegalArgumentException(
                    "--model is required: the base model folder (config.json + safetensors)");
        }
        if (!Files.isDirectory(model) || !Files.isRegularFile(model.resolve("config.json"))) {
            throw new IllegalArgumentException(
                    "--model = " + model + " is not a model folder with config.json; give the "
                            + "folder of the original (BF16/F16/F32) checkpoint");
        }
        if (adapter == null || adapter.trim().isEmpty()) {
            throw new IllegalArgumentException("--adapter is required: a peft adapter folder (adapter_config.json + "
                    + "adapter_model.safetensors)");
        }
        if (output == null || output.trim().isEmpty()) {
            throw new IllegalArgumentException("--output is required: the folder the merged model goes to");
        }
        if (maxShardBytes < 1) {
            throw new IllegalArgumentException(
                    "--max-shard-size = " + maxShardBytes + " bytes; must be at least 1 byte " + "(e.g. 5GB, 500MB)");
        }
    }

    /**
     * A size as transformers' {@code max_shard_size} takes it: bytes, or a number with KB/MB/GB/TB (powers of
     * 1000) or KiB/MiB/GiB/TiB (powers of 1024), case-insensitive: "5GB" = 5·10⁹, "500MB" = 5·10⁸.
     */
    public static long parseSize(String text) {
        Matcher m = SIZE.matcher(text == null ? "" : text.trim().toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "--max-shard-size = '" + text + "'; give bytes or a size such as 5GB, " + "500MB, 2GiB");
        }
        String unit = m.group(2) == null ? "B" : m.group(2);
        double factor;
        switch (unit) {
            case "KB":
                factor = 1e3;
                break;
            case "MB":
                factor = 1e6;
                break;
            case "GB":
                factor = 1e9;
                break;
            case "TB":
                factor = 1e12;
                break;
            case "KIB":
                factor = 1L << 10;
                break;
            case "MIB":
                factor = 1L << 20;
                break;
            case "GIB":
                factor = 1L << 30;
                break;
            case "TIB":
                factor = 1L << 40;
                break;
            default:
                factor = 1;
                break;
        }
        double bytes = Double.parseDouble(m.group(1)) * factor;
        if (bytes < 1 || bytes > Long.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "--max-shard-size = '" + text + "' is " + (long) bytes + " bytes; allowed 1 byte and more");
        }
        return (long) bytes;
    }

    @Override
    public String toString() {
        return "merge --model " + model + " --adapter " + adapter + " --output " + output + " --dtype "
                + (dtype == null ? "auto" : dtype) + " --max-shard-size " + maxShardBytes
                + (overwrite ? " --overwrite" : "");
    }
}
