package dev.finetune.trainer.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * README.md of final/, in the layout peft's save_pretrained gives (docs/formats.md): YAML front matter
 * with base_model, library_name: peft, pipeline_tag: text-generation and sorted tags (lora, transformers,
 * base_model:adapter:&lt;base&gt;), then huggingface_hub's model-card sections, here filled with what we know:
 * the training configuration, the data manifest's summary and the run's outcome.
 */
final class ModelCard {

    private ModelCard() {}

    static String render(String base, TrainOptions o, TrainState state, Map<String, Object> data) {
        List<String> tags = new ArrayList<>();
        tags.add("base_model:adapter:" + base);
        tags.add("lora");
        tags.add("transformers");
        Collections.sort(tags);
        StringBuilder s = new StringBuilder();
        s.append("---\n");
        s.append("base_model: ").append(base).append('\n');
        s.append("library_name: peft\n");
        s.append("pipeline_tag: text-generation\n");
        s.append("tags:\n");
        for (String t : tags) {
            s.append("- ").append(t).append('\n');
        }
        s.append("---\n\n");
        s.append("# Model Card for ").append(o.projectName).append("\n\n");
        s.append("A LoRA adapter for `")
                .append(base)
                .append("`, trained with QLoRA by the finetune Java trainer ")
                .append("(DJL). Load it with `peft.PeftModel.from_pretrained(base_model, this_folder)`.\n\n");
        s.append("## Model Details\n\n### Model Description\n\n");
        s.append("- **Finetuned from model:** ").append(base).append('\n');
        s.append("- **Adapter:** LoRA r=")
                .append(o.lora.loraR)
                .append(", alpha=")
                .append(num(o.lora.loraAlpha))
                .append(", dropout=")
                .append(num(o.lora.loraDropout))
                .append(", rsLoRA=")
                .append(o.lora.useRslora)
                .append(", target modules ")
                .append(o.lora.loraTargetModules)
                .append("\n\n");
        s.append("## Training Details\n\n### Training Data\n\n");
        if (data == null || data.isEmpty()) {
            s.append("[More Information Needed]\n\n");
        } else {
            for (Map.Entry<String, Object> e : data.entrySet()) {
                s.append("- **")
                        .append(e.getKey())
                        .append(":** ")
                        .append(e.getValue())
                        .append('\n');
            }
            s.append('\n');
        }
        s.append("### Training Procedure\n\n#### Training Hyperparameters\n\n");
        s.append("- **Training regime:** ").append(regime(o)).append('\n');
        for (Map.Entry<String, Object> e : o.toMap().entrySet()) {
            s.append("- ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        s.append("\n#### Outcome\n\n");
        s.append("- optimizer steps: ")
                .append(state.globalStep)
                .append(" (")
                .append(state.skippedSteps)
                .append(" skipped for Inf/NaN)\n");
        s.append("- tokens seen: ").append(state.tokensSeen).append('\n');
        Double last = lastLogged(state, "loss");
        if (last != null) {
            s.append("- last logged training loss: ")
                    .append(String.format(Locale.ROOT, "%.4f", last))
                    .append('\n');
        }
        Double eval = lastLogged(state, "eval_loss");
        if (eval != null) {
            s.append("- final validation loss: ")
                    .append(String.format(Locale.ROOT, "%.4f", eval))
                    .append(" (perplexity ")
                    .append(String.format(Locale.ROOT, "%.2f", Math.exp(eval)))
                    .append(")\n");
        }
        s.append("\n## Training procedure\n\n");
        if (o.model.use4bit) {
            s.append("The following `bitsandbytes` quantization config was used during training:\n");
            s.append("- quant_method: bitsandbytes\n- load_in_4bit: True\n- bnb_4bit_quant_type: nf4\n");
            s.append("- bnb_4bit_use_double_quant: ")
                    .append(o.model.doubleQuant ? "True" : "False")
                    .append('\n');
            s.append("- bnb_4bit_compute_dtype: float16\n\n");
        }
        s.append(
                "### Framework versions\n\n- PEFT 0.21.0 (adapter format)\n- finetune trainer on DJL 0.36.0, PyTorch 2.7.1");
        return s.toString();
    }

    private static String regime(TrainOptions o) {
        String base = o.model.use4bit ? "NF4 base (QLoRA)" : "unquantized base";
        return base + ", compute " + o.model.computeDtype + ", FP32 LoRA master weights and AdamW state";
    }

    /** The last logged value of {@code key} ("loss", "eval_loss") in the run's history, or null. */
    private static Double lastLogged(TrainState state, String key) {
        for (int i = state.logHistory.size() - 1; i >= 0; i--) {
            Object l = state.logHistory.get(i).get(key);
            if (l instanceof Number) {
                return ((Number) l).doubleValue();
            }
        }
        return null;
    }

    private static String num(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
