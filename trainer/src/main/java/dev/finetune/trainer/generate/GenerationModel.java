package dev.finetune.trainer.generate;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.finetune.templates.ChatTemplate;
import dev.finetune.tokenize.TextTokenizer;
import dev.finetune.tokenize.TokenizerFiles;
import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.model.CausalLM;
import dev.finetune.trainer.model.LoadOptions;
import dev.finetune.trainer.model.ModelLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A base model, its LoRA adapter and its tokenizer, loaded once and then asked for any number of generations: what
 * {@code generate}, {@code chat}, {@code run} and the demo call. Each {@link #generate} call starts from a fresh KV
 * cache and sampler, so N calls on one loaded model give what N separately loaded models give. The tokenizer is
 * the model folder's {@code tokenizer.json} when there is one; without it prompts are token ids and generations
 * carry no text.
 */
public final class GenerationModel implements AutoCloseable {
    private final Path modelDir;
    private final CausalLM model;
    private final NDManager adapterScope;
    private final TextTokenizer tokenizer;
    private final TokenDecoder decoder;
    private final Generator generator;
    private ChatTemplate template;

    private GenerationModel(Path modelDir, CausalLM model, NDManager adapterScope, TextTokenizer tokenizer) {
        this.modelDir = modelDir;
        this.model = model;
        this.adapterScope = adapterScope;
        this.tokenizer = tokenizer;
        this.decoder = tokenizer == null ? null : ConsoleStreamer.decoder(tokenizer);
        this.generator = new Generator(model);
    }

    /**
     * Loads {@code modelDir} (config.json + safetensors, and its tokenizer when it has one) as {@code load} says
     * (device, compute type, NF4 or dense base, attention kernel), with the peft adapter in {@code adapterDir} on
     * top, or the base alone when it is null.
     */
    public static GenerationModel load(Path modelDir, Path adapterDir, LoadOptions load) throws IOException {
        CausalLM model = ModelLoader.load(modelDir, load);
        NDManager adapterScope = null;
        TextTokenizer tokenizer = null;
        try {
            adapterScope = model.manager().newSubManager();
            if (adapterDir != null) {
                model.setAdapter(LoraAdapter.load(adapterDir, model.config, adapterScope, false));
            }
            if (Files.isRegularFile(modelDir.resolve(TokenizerFiles.TOKENIZER_JSON))) {
                tokenizer = TextTokenizer.load(modelDir);
            }
            return new GenerationModel(modelDir, model, adapterScope, tokenizer);
        } catch (IOException | RuntimeException e) {
            if (adapterScope != null) {
                adapterScope.close();
            }
            model.close();
            throw e;
        }
    }

    /** The compute type a user names: auto (null: FP16 on a GPU, FP32 on the CPU), fp16 or fp32. */
    public static DataType computeType(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "auto":
                return null;
            case "fp16":
                return DataType.FLOAT16;
            case "fp32":
                return DataType.FLOAT32;
            default:
                throw new IllegalArgumentException("compute_dtype = " + name + "; allowed auto, fp16, fp32");
        }
    }

    public CausalLM model() {
        return model;
    }

    /** The model folder's tokenizer, or null when it has none. */
    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /** Token ids to text with the model's tokenizer, or null when it has none. */
    public TokenDecoder decoder() {
        return decoder;
    }

    /**
     * A user prompt as token ids: one user message through the model's chat template with the generation prompt,
     * or with {@code raw} the text as it is (with the tokenizer's own special tokens, e.g. BOS).
     */
    public long[] promptIds(String prompt, boolean raw) {
        requireTokenizer();
        if (raw) {
            return promptIds(tokenizer, prompt, true);
        }
        return chatPromptIds(Collections.singletonList(message("user", prompt)));
    }

    /**
     * A conversation ({@code role}/{@code content} maps) rendered through the model's chat template with the
     * generation prompt, as transformers' {@code apply_chat_template(..., add_generation_prompt=True)}, as ids.
     */
    public long[] chatPromptIds(List<Map<String, Object>> messages) {
        requireTokenizer();
        if (template == null) {
            if (tokenizer.files().chatTemplate == null) {
                throw new IllegalArgumentException(
                        modelDir + " has no chat template; pass --raw to use the prompt as " + "plain text");
            }
            template = ChatTemplate.compile(tokenizer.files().chatTemplate);
        }
        return toLongs(tokenizer.encode(template.render(messages, true, specialTokens(tokenizer)), false));
    }

    /** Text prompts (see {@link #promptIds(String, boolean)}) continued as {@link #generate} does. */
    public List<Generation> generateText(
            List<String> prompts, boolean raw, GenerationOptions options, TokenListener listener) {
        List<long[]> ids = new ArrayList<>();
        for (String p : prompts) {
            ids.add(promptIds(p, raw));
        }
        return generate(ids, options, listener);
    }

    /**
     * Continues the prompts together (left-padded into one batch; each generates what it would alone) and returns
     * one {@link Generation} per prompt, in order. Sequences end at the options' EOS ids when set, else at the
     * tokenizer's EOS and the model's {@code eos_token_id}s.
     */
    public List<Generation> generate(List<long[]> prompts, GenerationOptions options, TokenListener listener) {
        List<Long> eos = options.eosTokenIds;
        if (eos.isEmpty()) {
            eos = new ArrayList<>();
            if (tokenizer != null && tokenizer.eosId() >= 0) {
                eos.add((long) tokenizer.eosId());
            }
            eos.addAll(model.config.eosTokenIds);
        }
        List<long[]> ids = generator.generate(prompts, options, eos, listener, decoder);
        List<Generation> out = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            out.add(new Generation(prompts.get(i), ids.get(i), decoder == null ? null : decoder.decode(ids.get(i))));
        }
        return out;
    }

    @Override
    public void close() {
        try {
            if (tokenizer != null) {
                tokenizer.close();
            }
        } finally {
            adapterScope.close();
            model.close();
        }
    }

    private void requireTokenizer() {
        if (tokenizer == null) {
            throw new IllegalArgumentException(modelDir + " has no " + TokenizerFiles.TOKENIZER_JSON + "; give the "
                    + "prompt as token ids (--prompt-ids)");
        }
    }

    /**
     * A user prompt as token ids with {@code tokenizer}: through its chat template with the generation prompt, or
     * the plain text with the tokenizer's own special tokens when {@code raw}.
     */
    static long[] promptIds(TextTokenizer tokenizer, String prompt, boolean raw) {
        String text = prompt;
        if (!raw) {
            text = ChatTemplate.compile(tokenizer.files().chatTemplate)
                    .render(Collections.singletonList(message("user", prompt)), true, specialTokens(tokenizer));
        }
        // a rendered template carries its own special tokens; plain text gets the tokenizer's (e.g. BOS)
        return toLongs(tokenizer.encode(text, raw));
    }

    private static Map<String, Object> specialTokens(TextTokenizer tokenizer) {
        Map<String, Object> extra = new HashMap<>();
        extra.put("bos_token", tokenizer.files().bosToken);
        extra.put("eos_token", tokenizer.files().eosToken);
        return extra;
    }

    /** A chat message as templates read it. */
    public static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    private static long[] toLongs(int[] ids) {
        return Arrays.stream(ids).asLongStream().toArray();
    }
}
