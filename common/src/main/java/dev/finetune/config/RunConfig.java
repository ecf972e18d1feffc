package dev.finetune.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.finetune.storage.RunLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Everything a run is configured by: the seed notebook's parameter cell in snake_case (LORA_R → lora_r), plus
 * the keys the product adds. Fields are bound by Jackson (snake_case names); each carries its help text in
 * {@link Option}. The field initialisers are the one table of defaults (the seed notebook's values where it has
 * one): nothing else in the project declares a default for a key. No field ever holds a token: the Hugging Face
 * token comes from HF_TOKEN or the token file only.
 *
 * <p>Read it with {@link ConfigLoader}; the steps receive its sections as immutable values ({@link #training()},
 * {@link #lora()}, {@link #baseModel()}, {@link #generation()}, {@link #prepare()}, {@link #runtime()}).
 */
public final class RunConfig {

    // ---- project and output ----
    @Option(section = Section.PROJECT, help = "Name of this run; outputs go to <base_save_dir>/<project_name>/.")
    public String projectName = "finetune-run";

    @Option(
            section = Section.PROJECT,
            help = "Output root: a local path, a mounted Drive path "
                    + "(/content/drive/MyDrive/...) or gs://bucket/path.")
    public String baseSaveDir = "outputs";

    @Option(
            section = Section.PROJECT,
            defaultText = "<base_save_dir>/<project_name>/data",
            help = "Where prepare writes token shards and train reads them.")
    public String shardsDir;

    // ---- base model ----
    @Option(
            section = Section.MODEL,
            help =
                    "Base model: a Hub id (Qwen/Qwen2-7B) or a local, Drive or gs:// "
                            + "folder with config.json, tokenizer files and *.safetensors. Gated models need a token (HF_TOKEN).")
    public String baseModelId;

    @Option(
            section = Section.MODEL,
            help = "Hub revision (branch, tag or commit) of the base model; pin a commit for reproducible runs.")
    public String modelRevision = "main";

    @Option(
            section = Section.MODEL,
            help = "Load the frozen base in NF4 4-bit (QLoRA, double quantization). "
                    + "false keeps FP16 on GPU / FP32 on CPU: more memory, slightly more exact.")
    @JsonProperty("use_4bit")
    public boolean use4bit = true;

    @Option(
            section = Section.MODEL,
            help = "Quantize the NF4 block scales too (bitsandbytes' double quantization): "
                    + "about 0.4 bits per weight less.")
    public boolean doubleQuant = true;

    @Option(
            section = Section.MODEL,
            help = "Compute precision: auto (fp16 on GPU, fp32 on CPU), fp16 or fp32. "
                    + "bf16 is not available (it crashes DJL 0.36's PyTorch bridge).")
    public String computeDtype = "auto";

    @Option(
            section = Section.MODEL,
            help = "Attention kernel, as transformers' attn_implementation: sdpa (torch's "
                    + "fused scaled_dot_product_attention: faster, and no T x T scores in GPU memory; rows of one document "
                    + "each take its causal flash kernel, packed rows on a GPU the variable-length flash kernel) or eager "
                    + "(plain DJL ops, no TorchScript modules).")
    public String attnImplementation = "sdpa";

    // ---- dataset ----
    @Option(
            section = Section.DATA,
            help = "Dataset: a Hub id (org/name, or hf://datasets/org/name), or a local, "
                    + "Drive or gs:// path to parquet, jsonl or json files.")
    public String datasetId;

    @Option(section = Section.DATA, help = "Hub dataset configuration (subset) name; empty for the default one.")
    public String datasetConfig;

    @Option(section = Section.DATA, help = "Split to train on.")
    public String datasetSplit = "train";

    @Option(section = Section.DATA, help = "Hub revision of the dataset.")
    public String datasetRevision = "main";

    @Option(section = Section.DATA, help = "Split used for evaluation (e.g. validation); empty for none.")
    public String validationSplit;

    @Option(
            section = Section.DATA,
            help = "Fraction of training documents held out for evaluation when the "
                    + "dataset has no validation split; 0 to 0.5.")
    public double holdoutFraction = 0.0;

    @Option(
            section = Section.DATA,
            help = "Column with plain text (every token after a document's first is "
                    + "trained on; EOS appended). Ignored when a conversation column is set.")
    public String textColumn = "text";

    @Option(
            section = Section.DATA,
            help = "Column with conversations: a list of {role, content}. Rendered "
                    + "with the model's chat template.")
    public String messagesColumn;

    @Option(section = Section.DATA, help = "Prompt column of prompt/completion data (becomes a user turn).")
    public String promptColumn;

    @Option(section = Section.DATA, help = "Completion column of prompt/completion data (the assistant turn).")
    public String completionColumn;

    @Option(section = Section.DATA, help = "Instruction column of instruction/input/output (Alpaca-style) data.")
    public String instructionColumn;

    @Option(section = Section.DATA, help = "Optional input column of instruction/input/output data.")
    public String inputColumn;

    @Option(section = Section.DATA, help = "Output column of instruction/input/output data (the assistant turn).")
    public String outputColumn;

    @Option(
            section = Section.DATA,
            help = "Conversations: train on assistant turns only (assistant) or on every " + "token (all).")
    public String trainOn = "assistant";

    @Option(
            section = Section.DATA,
            defaultText = "the tokenizer's eos_token",
            help =
                    "Token appended to each "
                            + "plain-text document (e.g. <|endoftext|> for a base model whose eos_token is a chat end-of-turn).")
    public String eosToken;

    @Option(
            section = Section.DATA,
            help = "Tokens per training row, 16 to 131072. The first knob to lower on "
                    + "out-of-memory; memory grows with it.")
    public int maxSeqLength = 1024;

    @Option(
            section = Section.DATA,
            help = "Pack several documents into each row (attention stays inside each "
                    + "document). false pads one document per row.")
    public boolean packing = true;

    @Option(
            section = Section.DATA,
            help = "Documents longer than max_seq_length: split into several rows " + "(split) or cut (truncate).")
    public String longDocuments = "split";

    // ---- LoRA ----
    @Option(section = Section.LORA, help = "LoRA rank r, 1 to 1024.")
    public int loraR = 64;

    @Option(
            section = Section.LORA,
            help = "LoRA alpha; the update is scaled by alpha/r (alpha/sqrt(r) with " + "use_rslora).")
    public double loraAlpha = 16;

    @Option(section = Section.LORA, help = "Dropout on the LoRA input, 0 (inclusive) to 1 (exclusive).")
    public double loraDropout = 0.05;

    @Option(
            section = Section.LORA,
            help = "Projections that get adapters: names such as q_proj,k_proj,v_proj,"
                    + "o_proj,gate_proj,up_proj,down_proj, or all-linear.")
    public List<String> loraTargetModules = new ArrayList<>(Arrays.asList("q_proj", "v_proj"));

    @Option(section = Section.LORA, help = "Rank-stabilised LoRA: scale alpha/sqrt(r) instead of alpha/r.")
    public boolean useRslora = false;

    // ---- training ----
    @Option(
            section = Section.TRAINING,
            help = "Rows per micro-batch per device. Lower it (and raise "
                    + "gradient_accumulation_steps) on out-of-memory.")
    public int batchSize = 1;

    @Option(
            section = Section.TRAINING,
            help = "Micro-batches per optimizer step; tokens per step = batch_size x "
                    + "gradient_accumulation_steps x world_size x max_seq_length.")
    public int gradientAccumulationSteps = 16;

    @Option(
            section = Section.TRAINING,
            help = "Pick the rows per micro-batch that fit the device: start with all of "
                    + "a step's batch_size x gradient_accumulation_steps rows at once and, on out-of-memory, try the next "
                    + "smaller divisor. Tokens per step stay the same; the choice is kept for the rest of the run.")
    public boolean autoMicroBatch = false;

    @Option(section = Section.TRAINING, help = "Peak learning rate of AdamW, above 0 and at most 1.")
    public double learningRate = 2e-4;

    @Option(section = Section.TRAINING, help = "Passes over the training shards (fractions allowed).")
    public double numTrainEpochs = 2;

    @Option(
            section = Section.TRAINING,
            help = "Stop after this many optimizer steps; -1 for no limit. Lets a "
                    + "long run be trained in several sittings (resume continues from the last checkpoint).")
    public int maxSteps = -1;

    @Option(section = Section.TRAINING, help = "Steps of linear warmup from 0 to learning_rate.")
    public int warmupSteps = 100;

    @Option(section = Section.TRAINING, help = "Decay after warmup: linear, cosine or constant.")
    public String lrScheduler = "linear";

    @Option(section = Section.TRAINING, help = "AdamW decoupled weight decay, 0 or more.")
    public double weightDecay = 0.0;

    @Option(section = Section.TRAINING, help = "Clip the global gradient norm to this; 0 turns clipping off.")
    public double maxGradNorm = 1.0;

    @Option(
            section = Section.TRAINING,
            help = "Log loss, learning rate, gradient norm, tokens/s and memory " + "every this many steps.")
    public int loggingSteps = 10;

    @Option(
            section = Section.TRAINING,
            help = "Write a resumable checkpoint every this many steps (Colab "
                    + "sessions end without warning: keep it small enough).")
    public int saveSteps = 500;

    @Option(section = Section.TRAINING, help = "Keep only the newest this many checkpoints; 0 keeps all.")
    public int saveTotalLimit = 3;

    @Option(
            section = Section.TRAINING,
            help = "Evaluate on the validation shards every this many steps; 0 "
                    + "for no evaluation (the seed's default).")
    public int evalSteps = 0;

    @Option(
            section = Section.TRAINING,
            help = "Resume: auto (from the newest checkpoint that verifies; one "
                    + "trained with other data, model or settings is refused), never (start fresh; a checkpoint it saves "
                    + "replaces an older one of the same step), or a checkpoint path.")
    public String resume = "auto";

    @Option(section = Section.TRAINING, help = "Seed for LoRA initialisation, dropout, shuffling and sampling.")
    public long seed = 42;

    // ---- generation ----
    @Option(section = Section.GENERATION, help = "Tokens to generate per prompt, 1 or more.")
    public int maxNewTokens = 128;

    @Option(section = Section.GENERATION, help = "Sampling temperature; 0 means greedy decoding.")
    public double temperature = 0.7;

    @Option(
            section = Section.GENERATION,
            help = "Nucleus sampling: keep the smallest set of tokens whose "
                    + "probability reaches top_p; above 0, at most 1.")
    public double topP = 0.95;

    @Option(section = Section.GENERATION, help = "Keep only the top_k most likely tokens; 0 turns it off.")
    public int topK = 0;

    @Option(section = Section.GENERATION, help = "Example prompts for the inference demo after training.")
    public List<String> prompts = new ArrayList<>();

    // ---- hub ----
    @Option(
            section = Section.HUB,
            help = "Hub repository to push the adapter to (user/name); empty: no push. "
                    + "Needs a token with write permission.")
    public String hubRepoId;

    @Option(
            section = Section.HUB,
            help = "Create the Hub repository as private. Check the base model's and "
                    + "the dataset's licences before making it public.")
    public boolean hubPrivate = true;

    // ---- runtime ----
    @Option(section = Section.RUNTIME, help = "Device: auto (the first GPU, else CPU), cpu, gpu or gpuN.")
    public String device = "auto";

    @Option(section = Section.RUNTIME, help = "Data-parallel training ranks (GPUs), 1 or more.")
    public int worldSize = 1;

    @Option(
            section = Section.RUNTIME,
            help = "Spark master for prepare: local[*] in Colab or on a laptop; "
                    + "ignored under spark-submit, which sets its own.")
    public String sparkMaster = "local[*]";

    // ---- sections, as the steps receive them ----

    /** The defaults: what an empty config file resolves to. */
    public static RunConfig defaults() {
        return new RunConfig();
    }

    public TrainingConfig training() {
        return new TrainingConfig(this);
    }

    public LoraConfig lora() {
        return new LoraConfig(this);
    }

    public BaseModelConfig baseModel() {
        return new BaseModelConfig(this);
    }

    public GenerationConfig generation() {
        return new GenerationConfig(this);
    }

    public PrepareConfig prepare() {
        return new PrepareConfig(this);
    }

    public RuntimeConfig runtime() {
        return new RuntimeConfig(this);
    }

    // ---- derived paths ----

    /** The run's folders ({@code <base_save_dir>/<project_name>/...}, shards in shards_dir when set). */
    public RunLayout layout() {
        return RunLayout.of(baseSaveDir, projectName).withShardsDir(shardsDir);
    }

    /** {@code <base_save_dir>/<project_name>}: checkpoints/, final/ and (by default) data/ live here. */
    public String outputDir() {
        return layout().runDir();
    }

    /** Where prepare writes and train reads token shards. */
    public String resolvedShardsDir() {
        return layout().dataDir();
    }

    /** The final adapter (peft layout). */
    public String adapterDir() {
        return layout().finalDir();
    }

    /** Where merge writes the adapter merged into the base (a full model). */
    public String mergedDir() {
        return layout().mergedDir();
    }

    public String checkpointsDir() {
        return layout().checkpointsDir();
    }

    /** Whether the dataset is conversations (any conversation column configured) rather than plain text. */
    public boolean hasConversationColumns() {
        return set(messagesColumn) || set(promptColumn) || set(completionColumn) || set(instructionColumn);
    }

    static boolean set(String s) {
        return s != null && !s.isEmpty();
    }

    /**
     * Checks every value against its allowed range.
     *
     * @throws ConfigException listing every problem, each naming the key, the value and what is allowed
     */
    public void validate() {
        List<String> problems = new ArrayList<>();
        requireName(problems, "project_name", projectName);
        if (!set(baseSaveDir)) {
            problems.add("base_save_dir is empty: give an output folder (local, Drive or gs://)");
        }
        range(problems, "max_seq_length", maxSeqLength, 16, 131072);
        range(problems, "lora_r", loraR, 1, 1024);
        if (!(loraAlpha > 0)) {
            problems.add("lora_alpha = " + loraAlpha + " must be above 0 (typical: r or 2r)");
        }
        if (!(loraDropout >= 0 && loraDropout < 1)) {
            problems.add("lora_dropout = " + loraDropout + " must be in [0, 1)");
        }
        if (loraTargetModules == null || loraTargetModules.isEmpty()) {
            problems.add("lora_target_modules is empty: name projections (q_proj, v_proj, ...) or all-linear");
        } else {
            for (String m : loraTargetModules) {
                if (!m.matches("[A-Za-z0-9_.-]+")) {
                    problems.add("lora_target_modules entry '" + m + "' is not a module name (q_proj, all-linear)");
                }
            }
        }
        range(problems, "batch_size", batchSize, 1, 4096);
        range(problems, "gradient_accumulation_steps", gradientAccumulationSteps, 1, 1 << 20);
        if (!(learningRate > 0 && learningRate <= 1)) {
            problems.add("learning_rate = " + learningRate + " must be in (0, 1] (QLoRA typically 1e-4 to 3e-4)");
        }
        if (!(numTrainEpochs > 0)) {
            problems.add("num_train_epochs = " + numTrainEpochs + " must be above 0");
        }
        if (maxSteps == 0 || maxSteps < -1) {
            problems.add("max_steps = " + maxSteps + " must be -1 (no limit) or at least 1");
        }
        range(problems, "warmup_steps", warmupSteps, 0, Integer.MAX_VALUE);
        oneOf(problems, "lr_scheduler", lrScheduler, "linear", "cosine", "constant");
        if (!(weightDecay >= 0)) {
            problems.add("weight_decay = " + weightDecay + " must be 0 or more");
        }
        if (!(maxGradNorm >= 0)) {
            problems.add("max_grad_norm = " + maxGradNorm + " must be 0 (off) or more");
        }
        range(problems, "logging_steps", loggingSteps, 1, Integer.MAX_VALUE);
        range(problems, "save_steps", saveSteps, 1, Integer.MAX_VALUE);
        range(problems, "save_total_limit", saveTotalLimit, 0, Integer.MAX_VALUE);
        range(problems, "eval_steps", evalSteps, 0, Integer.MAX_VALUE);
        if (!set(resume)) {
            problems.add("resume is empty: use auto, never or a checkpoint path");
        }
        if (!(holdoutFraction >= 0 && holdoutFraction <= 0.5)) {
            problems.add("holdout_fraction = " + holdoutFraction + " must be in [0, 0.5]");
        }
        oneOf(problems, "train_on", trainOn, "assistant", "all");
        oneOf(problems, "long_documents", longDocuments, "split", "truncate");
        if (!set(textColumn) && !hasConversationColumns()) {
            problems.add("text_column is empty and no conversation column is set: name the column to train on");
        }
        if (set(promptColumn) != set(completionColumn)) {
            problems.add("prompt_column and completion_column go together: set both (now prompt_column = "
                    + promptColumn + ", completion_column = " + completionColumn + ")");
        }
        if (set(instructionColumn) != set(outputColumn)) {
            problems.add("instruction_column and output_column go together: set both (now instruction_column = "
                    + instructionColumn + ", output_column = " + outputColumn + ")");
        }
        range(problems, "max_new_tokens", maxNewTokens, 1, 1 << 20);
        if (!(temperature >= 0)) {
            problems.add("temperature = " + temperature + " must be 0 (greedy) or more");
        }
        if (!(topP > 0 && topP <= 1)) {
            problems.add("top_p = " + topP + " must be in (0, 1]");
        }
        range(problems, "top_k", topK, 0, Integer.MAX_VALUE);
        if (set(hubRepoId) && !hubRepoId.matches("[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*")) {
            problems.add("hub_repo_id = '" + hubRepoId + "' must look like user/name");
        }
        if (!device.toLowerCase(Locale.ROOT).matches("auto|cpu|gpu|gpu[0-9]+")) {
            problems.add("device = '" + device + "' must be auto, cpu, gpu or gpuN (e.g. gpu0)");
        }
        range(problems, "world_size", worldSize, 1, 4096);
        oneOf(problems, "compute_dtype", computeDtype, "auto", "fp16", "fp32");
        oneOf(problems, "attn_implementation", attnImplementation, "sdpa", "eager");
        if (!problems.isEmpty()) {
            throw new ConfigException("invalid configuration:\n  - " + String.join("\n  - ", problems));
        }
    }

    /**
     * Checks that the keys a subcommand cannot run without are set.
     *
     * @param command the subcommand, named in the message
     * @param keys snake_case keys, each checked for a non-empty value
     */
    public void require(String command, String... keys) {
        List<String> missing = new ArrayList<>();
        for (String key : keys) {
            Object v = ConfigSchema.get().key(key).get(this);
            if (v == null || v.toString().isEmpty()) {
                missing.add(key + " (--" + ConfigSchema.kebab(key) + ")");
            }
        }
        if (!missing.isEmpty()) {
            throw new ConfigException(command + " needs " + String.join(", ", missing)
                    + ": set it in the config file or on the command line");
        }
    }

    private static void requireName(List<String> problems, String key, String v) {
        if (!set(v) || !v.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
            problems.add(key + " = '" + v + "' must be a folder name: letters, digits, _ . - (no slashes)");
        }
    }

    private static void range(List<String> problems, String key, long v, long lo, long hi) {
        if (v < lo || v > hi) {
            problems.add(key + " = " + v + " must be in [" + lo + ", "
                    + (hi == Integer.MAX_VALUE ? "∞" : String.valueOf(hi)) + "]");
        }
    }

    private static void oneOf(List<String> problems, String key, String v, String... allowed) {
        if (!Arrays.asList(allowed).contains(v)) {
            problems.add(key + " = '" + v + "' must be one of " + String.join(", ", allowed));
        }
    }
}
