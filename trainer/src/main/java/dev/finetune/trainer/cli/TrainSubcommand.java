package dev.finetune.trainer.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.finetune.config.ConfigException;
import dev.finetune.config.RunConfig;
import dev.finetune.shards.Manifest;
import dev.finetune.shards.ShardSet;
import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.lora.LoraSettings;
import dev.finetune.trainer.model.CausalLM;
import dev.finetune.trainer.model.LoadOptions;
import dev.finetune.trainer.model.ModelLoader;
import dev.finetune.trainer.nf4.Nf4WeightFactory;
import dev.finetune.trainer.train.CausalLmTrainable;
import dev.finetune.trainer.train.FinalSave;
import dev.finetune.trainer.train.GradientSync;
import dev.finetune.trainer.train.OutputLocation;
import dev.finetune.trainer.train.RowSource;
import dev.finetune.trainer.train.TrainOptions;
import dev.finetune.trainer.train.Trainer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import dev.finetune.config.Section;
import java.io.PrintStream;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** QLoRA training from token shards, resumable, saving a peft adapter. */
final class TrainSubcommand extends Subcommand {
    TrainSubcommand() {
        super("train", "QLoRA training from the shards; checkpoints, resume, final adapter in peft layout");
    }

    @Override
    String description() {
        return "Loads base_model_id (NF4 when use_4bit), adds LoRA adapters to lora_target_modules and trains them "
                + "on the shards in shards_dir. Every save_steps a resumable checkpoint goes to "
                + "<base_save_dir>/<project_name>/checkpoints/checkpoint-<step>/; with resume: auto a restarted run "
                + "continues from the newest one exactly. The adapter ends in <base_save_dir>/<project_name>/final/ "
                + "as peft writes it (adapter_config.json + adapter_model.safetensors), with the tokenizer files, "
                + "the base config.json and a README.md model card.\n\n"
                + "  jobs/finetune train --config conf/t4-16gb.yaml --max-steps 200";
    }

    @Override
    Set<Section> sections() {
        return EnumSet.of(Section.PROJECT, Section.MODEL, Section.LORA, Section.TRAINING, Section.RUNTIME);
    }

    @Override
    int run(CommandLine line, PrintStream out) throws Exception {
        train(line.config(), out);
        return Main.OK;
    }

    /** What a training run reports back to run/demo. */
    static final class Outcome {
        /** Loss of every optimizer step of this run, in order. */
        final List<Double> losses;
        /** The last validation loss, or null without validation. */
        final Double evalLoss;
        final String adapterDir;

        Outcome(List<Double> losses, Double evalLoss, String adapterDir) {
            this.losses = losses;
            this.evalLoss = evalLoss;
            this.adapterDir = adapterDir;
        }
    }

    /**
     * One training process on one device (world_size 1): base model (NF4 when use_4bit) + a new LoRA adapter,
     * trained on the shards by {@link Trainer}, which resumes, checkpoints and saves final/. Data-parallel runs
     * go through the distributed launcher (jobs/dataproc/submit-train.sh).
     */
    static Outcome train(RunConfig c, PrintStream out) throws Exception {
        c.require("train", "base_model_id");
        if (c.worldSize != 1) {
            throw new ConfigException("world_size = " + c.worldSize + ": train runs one process; launch several "
                    + "ranks with jobs/dataproc/submit-train.sh (or the distributed launcher)");
        }
        TrainOptions o = OptionsMapping.train(c);
        Path modelDir = ModelFiles.modelDir(c);
        Device device = Device.fromName(OptionsMapping.device(c.device));
        DataType compute = OptionsMapping.computeType(c, device);
        LoadOptions load = new LoadOptions(device, compute, c.use4bit ? Nf4WeightFactory.defaults() : null);
        Configuration conf = new Configuration();
        try (ShardSet shards = ShardSet.open(new org.apache.hadoop.fs.Path(o.shardsDir), conf);
                CausalLM lm = ModelLoader.load(modelDir, load);
                NDManager manager = lm.manager().newSubManager()) {
            Manifest m = shards.manifest();
            if (m.tokenizer.vocabSize > lm.config.vocabSize) {
                throw new ConfigException("the shards in " + o.shardsDir + " were made with a tokenizer of "
                        + m.tokenizer.vocabSize + " tokens but " + c.baseModelId + " has a vocabulary of "
                        + lm.config.vocabSize + ": run prepare with this model's tokenizer");
            }
            LoraSettings lora = new LoraSettings(c.loraR, c.loraAlpha, c.loraDropout, c.useRslora, c.loraTargetModules);
            lm.setAdapter(LoraAdapter.initialize(lora, lm.config, manager, c.seed));
            RowSource train = new ShardRows(shards, "train");
            RowSource validation = shards.hasSplit("validation") ? new ShardRows(shards, "validation") : null;
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("data_dir", o.shardsDir);
            summary.put("max_seq_length", m.maxSeqLength);
            summary.put("train_rows", shards.rows("train"));
            summary.put("tokenizer_fingerprint", m.tokenizer.fingerprint);
            Trainer trainer = new Trainer(o, new CausalLmTrainable(lm, c.baseModelId), train, validation,
                    GradientSync.local(), OutputLocation.of(o.baseSaveDir, o.projectName, conf), manager,
                    compute == DataType.FLOAT16, new FinalSave(modelDir, c.baseModelId, summary), out);
            Trainer.Result r = trainer.run();
            return new Outcome(r.losses, r.lastEvalLoss, r.finalDir == null ? c.adapterDir() : r.finalDir.toString());
        }
    }
}
