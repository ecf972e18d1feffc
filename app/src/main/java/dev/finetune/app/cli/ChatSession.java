package dev.finetune.app.cli;

import dev.finetune.config.ConfigException;
import dev.finetune.config.RunConfig;
import dev.finetune.trainer.device.DeviceChoice;
import dev.finetune.trainer.generate.ConsoleStreamer;
import dev.finetune.trainer.generate.Generation;
import dev.finetune.trainer.generate.GenerationModel;
import dev.finetune.trainer.generate.GenerationOptions;
import java.io.BufferedReader;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
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
        DeviceChoice choice = DeviceChoice.resolve(c.device);
        out.println(choice.describe());
        try (GenerationModel model =
                GenerationModel.load(modelDir, adapterDir, GenerateSubcommand.loadOptions(c, choice.device))) {
            if (model.tokenizer() == null || model.tokenizer().files().chatTemplate == null) {
                throw new ConfigException(modelDir + " has no chat template (tokenizer_config.json or "
                        + "chat_template.jinja); use `jobs/finetune generate --raw` for plain continuation");
            }
            GenerationOptions options = GenerationOptions.of(c.generation());
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
                messages.add(GenerationModel.message("user", line));
                long[] prompt = model.chatPromptIds(messages);
                out.print("model> ");
                Generation reply = model.generate(
                                Collections.singletonList(prompt), options, new ConsoleStreamer(model.decoder(), out))
                        .get(0);
                messages.add(GenerationModel.message("assistant", reply.text));
            }
        }
    }
}
