package dev.finetune.trainer.generate;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.finetune.trainer.device.DeviceChoice;
import ai.djl.ndarray.NDManager;
import dev.finetune.templates.ChatTemplate;
import dev.finetune.tokenize.TextTokenizer;
import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.model.AttentionKernel;
import dev.finetune.trainer.model.CausalLM;
import dev.finetune.trainer.model.LoadOptions;
import dev.finetune.trainer.model.ModelLoader;
import dev.finetune.trainer.nf4.Nf4WeightFactory;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code generate}: base model (+ adapter) continues prompts given as text (through the chat template unless
 * --raw) or as token ids. The CLI calls {@link #run}; {@link #main} is for direct use.
 */
public final class GenerateCommand {
    static final String USAGE = String.join("\n",
            "usage: generate --model DIR [--adapter DIR|none] (--prompt TEXT | --prompt-ids I,J,...)... [options]",
            "  --model DIR           model folder: config.json + safetensors (required)",
            "  --adapter DIR         peft LoRA adapter folder (default none)",
            "  --prompt TEXT         prompt text; repeat for several prompts, generated together",
            "  --prompt-ids I,J,...  prompt as token ids (no tokenizer needed); repeatable",
            "  --raw                 feed text prompts as is, without the chat template",
            "  --tokenizer DIR       folder with tokenizer.json (default: the model folder)",
            "  --max-new-tokens N    1..1000000 (default " + new GenerationOptions().maxNewTokens + ")",
            "  --greedy              argmax decoding (same as --temperature 0)",
            "  --temperature T       0..100 (default " + new GenerationOptions().temperature + ")",
            "  --top-p P             (0, 1]; 1 = off (default " + new GenerationOptions().topP + ")",
            "  --top-k K             0 = off (default " + new GenerationOptions().topK + ")",
            "  --seed S              sampler seed (default " + new GenerationOptions().seed + ")",
            "  --stop TEXT           stop once the output contains TEXT; repeatable",
            "  --print-ids           also print the generated token ids",
            "  --device auto|cpu|gpuN (default cpu)",
            "  --compute-dtype auto|fp16|fp32 (default auto: fp16 on a GPU, fp32 on the CPU)",
            "  --use-4bit            load the base projections as NF4, as training does (use_4bit)",
            "  --no-double-quant     with --use-4bit: keep each block's absmax in float32 (double_quant false)",
            "  --attn-implementation sdpa|eager  attention kernel (default sdpa)",
            "example: generate --model base --adapter adapter --prompt-ids 185,487,202 --max-new-tokens 12 --greedy "
                    + "--print-ids");

    private GenerateCommand() {
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out));
    }

    /** Parsed flags. */
    static final class Args {
        Path model;
        Path adapter;
        Path tokenizer;
        final List<String> prompts = new ArrayList<>();
        final List<long[]> promptIds = new ArrayList<>();
        boolean raw;
        boolean printIds;
        String device = "cpu";
        boolean use4bit;
        boolean doubleQuant = true;
        AttentionKernel attention = AttentionKernel.SDPA;
        /** null: FP16 on a GPU, FP32 on the CPU. */
        DataType computeType;
        final GenerationOptions options = new GenerationOptions();
    }

    /** auto (null: the device's default), fp16 or fp32. */
    static DataType computeType(String v) {
        switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "auto": return null;
            case "fp16": return DataType.FLOAT16;
            case "fp32": return DataType.FLOAT32;
            default: throw new IllegalArgumentException("--compute-dtype " + v + "; allowed auto, fp16, fp32");
        }
    }

    static Args parse(String[] argv) {
        Args a = new Args();
        for (int i = 0; i < argv.length; i++) {
            String f = argv[i];
            switch (f) {
                case "--raw": a.raw = true; continue;
                case "--greedy": a.options.greedy = true; continue;
                case "--print-ids": a.printIds = true; continue;
                case "--use-4bit": a.use4bit = true; continue;
                case "--no-double-quant": a.doubleQuant = false; continue;
                default: break;
            }
            if (i + 1 >= argv.length) {
                throw new IllegalArgumentException(f.startsWith("--") ? f + " needs a value" : "unexpected argument " + f);
            }
            String v = argv[++i];
            switch (f) {
                case "--model": a.model = Paths.get(v); break;
                case "--adapter": a.adapter = v.equals("none") ? null : Paths.get(v); break;
                case "--tokenizer": a.tokenizer = Paths.get(v); break;
                case "--prompt": a.prompts.add(v); break;
                case "--prompt-ids": a.promptIds.add(parseIds(v)); break;
                case "--max-new-tokens": a.options.maxNewTokens = parseInt(f, v); break;
                case "--temperature": a.options.temperature = parseDouble(f, v); break;
                case "--top-p": a.options.topP = parseDouble(f, v); break;
                case "--top-k": a.options.topK = parseInt(f, v); break;
                case "--seed": a.options.seed = parseInt(f, v); break;
                case "--stop": a.options.stopStrings.add(v); break;
                case "--device": a.device = v; break;
                case "--attn-implementation": a.attention = AttentionKernel.parse(v); break;
                case "--compute-dtype": a.computeType = computeType(v); break;
                default: throw new IllegalArgumentException("unknown flag " + f);
            }
        }
        if (a.model == null) {
            throw new IllegalArgumentException("--model is required");
        }
        if (a.prompts.isEmpty() == a.promptIds.isEmpty()) {
            throw new IllegalArgumentException("give --prompt or --prompt-ids (not both)");
        }
        if (!a.device.matches("auto|cpu|gpu|gpu\\d+")) {
            throw new IllegalArgumentException("--device " + a.device + "; allowed auto, cpu, gpu0, gpu1, ...");
        }
        a.options.validate();
        return a;
    }

    private static long[] parseIds(String v) {
        try {
            return Arrays.stream(v.split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--prompt-ids " + v + ": expected comma-separated integers like 1,2,3");
        }
    }

    private static int parseInt(String flag, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " " + v + ": expected an integer");
        }
    }

    private static double parseDouble(String flag, String v) {
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " " + v + ": expected a number");
        }
    }

    /** Runs the command; returns the exit code (2 on bad flags). */
    public static int run(String[] argv, PrintStream out) throws Exception {
        Args a;
        try {
            a = parse(argv);
        } catch (IllegalArgumentException e) {
            out.println("ERROR " + e.getMessage());
            out.println(USAGE);
            return 2;
        }
        DeviceChoice choice = DeviceChoice.resolve(a.device);
        if (!a.device.equals("cpu")) {
            out.println(choice.describe());
        }
        Device device = choice.device;
        LoadOptions load = new LoadOptions(device, a.computeType, Nf4WeightFactory.forBase(a.use4bit, a.doubleQuant))
            .withAttention(a.attention);
        try (CausalLM model = ModelLoader.load(a.model, load);
                NDManager adapterScope = model.manager().newSubManager()) {
            if (a.adapter != null) {
                model.setAdapter(LoraAdapter.load(a.adapter, model.config, adapterScope, false));
            }
            TextTokenizer tokenizer = needsTokenizer(a) ? TextTokenizer.load(tokenizerDir(a)) : null;
            try {
                List<long[]> prompts = a.promptIds.isEmpty() ? encode(a, tokenizer) : a.promptIds;
                if (tokenizer != null && a.options.eosTokenIds.isEmpty() && tokenizer.eosId() >= 0) {
                    a.options.eosTokenIds.add((long) tokenizer.eosId());
                    a.options.eosTokenIds.addAll(model.config.eosTokenIds);
                }
                TokenDecoder decoder = tokenizer == null ? null : ConsoleStreamer.decoder(tokenizer);
                TokenListener listener = prompts.size() == 1 && decoder != null
                    ? new ConsoleStreamer(decoder, out) : TokenListener.NONE;
                List<long[]> results = new Generator(model).generate(prompts, a.options, listener, decoder);
                for (int i = 0; i < results.size(); i++) {
                    if (prompts.size() > 1 && decoder != null) {
                        out.println("[" + i + "] " + decoder.decode(results.get(i)));
                    }
                    if (a.printIds || decoder == null) {
                        out.println((prompts.size() > 1 ? "[" + i + "] " : "") + "ids: " + joinIds(results.get(i)));
                    }
                }
            } finally {
                if (tokenizer != null) {
                    tokenizer.close();
                }
            }
        }
        return 0;
    }

    private static boolean needsTokenizer(Args a) {
        return !a.prompts.isEmpty() || !a.options.stopStrings.isEmpty()
                || Files.isRegularFile(tokenizerDir(a).resolve("tokenizer.json"));
    }

    private static Path tokenizerDir(Args a) {
        return a.tokenizer != null ? a.tokenizer : a.model;
    }

    private static List<long[]> encode(Args a, TextTokenizer tokenizer) {
        List<long[]> out = new ArrayList<>();
        for (String p : a.prompts) {
            if (!a.raw && tokenizer.files().chatTemplate == null) {
                throw new IllegalArgumentException(tokenizerDir(a) + " has no chat template; pass --raw to use "
                        + "the prompt as plain text");
            }
            out.add(promptIds(tokenizer, p, a.raw));
        }
        return out;
    }

    /**
     * A user prompt as token ids: rendered as one user message through the chat template with the generation
     * prompt (as transformers' apply_chat_template(..., add_generation_prompt=True)), or plain text with
     * the tokenizer's own special tokens when {@code raw}.
     */
    static long[] promptIds(TextTokenizer tokenizer, String prompt, boolean raw) {
        String text = prompt;
        if (!raw) {
            Map<String, Object> msg = new HashMap<>();
            msg.put("role", "user");
            msg.put("content", prompt);
            Map<String, Object> extra = new HashMap<>();
            extra.put("bos_token", tokenizer.files().bosToken);
            extra.put("eos_token", tokenizer.files().eosToken);
            text = ChatTemplate.compile(tokenizer.files().chatTemplate)
                    .render(Collections.singletonList(msg), true, extra);
        }
        // a rendered template carries its own special tokens; plain text gets the tokenizer's (e.g. BOS)
        int[] ids = tokenizer.encode(text, raw);
        return Arrays.stream(ids).asLongStream().toArray();
    }

    private static String joinIds(long[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            sb.append(i > 0 ? "," : "").append(ids[i]);
        }
        return sb.toString();
    }
}
