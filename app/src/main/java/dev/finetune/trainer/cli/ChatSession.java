package dev.finetune.trainer.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.finetune.config.ConfigException;
import dev.finetune.config.RunConfig;
import dev.finetune.templates.ChatTemplate;
import dev.finetune.tokenize.TextTokenizer;
import dev.finetune.trainer.generate.GenerationOptions;
import dev.finetune.trainer.generate.Generator;
import dev.finetune.trainer.generate.TokenDecoder;
import dev.finetune.trainer.generate.ConsoleStreamer;
import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.model.AttentionKernel;
import dev.finetune.trainer.model.CausalLM;
import dev.finetune.trainer.model.LoadOptions;
import dev.finetune.trainer.model.ModelLoader;
import dev.finetune.trainer.nf4.Nf4WeightFactory;
import java.io.BufferedReader;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The notebook's interactive cell: the model (and adapter) loaded once, then a conversation read line by line
 * from the console, each turn rendered with the whole history through the model's chat template and the reply
 * streamed as it is generated. /reset forgets the history; an empty line or /exit ends.
 */
final class ChatSession {
    private ChatSession() {}

    static void run(RunConfig c, Path modelDir, Path adapterDir, BufferedReader in, PrintStream out) throws Exception {
        dev.finetune.trainer.device.DeviceChoice choice = dev.finetune.trainer.device.DeviceChoice.resolve(c.device);
        out.println(choice.describe());
        Device device = choice.device;
        try (CausalLM model = ModelLoader.load(modelDir,
                new LoadOptions(device, null, Nf4WeightFactory.forBase(c.use4bit, c.doubleQuant))
                    .withAttention(AttentionKernel.parse(c.attnImplementation)));
                NDManager adapterScope = model.manager().newSubManager();
                TextTokenizer tokenizer = TextTokenizer.load(modelDir)) {
            if (adapterDir != null) {
                model.setAdapter(LoraAdapter.load(adapterDir, model.config, adapterScope, false));
            }
            String source = tokenizer.files().chatTemplate;
            if (source == null) {
                throw new ConfigException(modelDir + " has no chat template (tokenizer_config.json or "
                        + "chat_template.jinja); use `jobs/finetune generate --raw` for plain continuation");
            }
            ChatTemplate template = ChatTemplate.compile(source);
            Map<String, Object> extra = new HashMap<>();
            extra.put("bos_token", tokenizer.files().bosToken);
            extra.put("eos_token", tokenizer.files().eosToken);
            GenerationOptions options = GenerationOptions.of(c.generation());
            if (tokenizer.eosId() >= 0) {
                options.eosTokenIds.add((long) tokenizer.eosId());
            }
            options.eosTokenIds.addAll(model.config.eosTokenIds);
            TokenDecoder decoder = ConsoleStreamer.decoder(tokenizer);
            Generator generator = new Generator(model);
            List<Map<String, Object>> messages = new ArrayList<>();
            out.println("chat: " + modelDir + (adapterDir != null ? " + " + adapterDir : "")
                    + " (empty line or /exit ends, /reset forgets the conversation)");
            while (true) {
                out.print("you> ");
                out.flush();
                String line = in.readLine();
                if (line == null || line.trim().isEmpty() || line.trim().equals("/exit")) {
                    return;
                }
                if (line.trim().equals("/reset")) {
                    messages.clear();
                    continue;
                }
                messages.add(message("user", line));
                int[] ids = tokenizer.encode(template.render(messages, true, extra), false);
                out.print("model> ");
                long[] prompt = new long[ids.length];
                for (int i = 0; i < ids.length; i++) {
                    prompt[i] = ids[i];
                }
                List<long[]> reply = generator.generate(Collections.singletonList(prompt), options,
                        new ConsoleStreamer(decoder, out), decoder);
                messages.add(message("assistant", decoder.decode(reply.get(0))));
            }
        }
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

}
