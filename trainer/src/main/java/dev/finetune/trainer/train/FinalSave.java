package dev.finetune.trainer.train;

import dev.finetune.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * {@code <output>/<project>/final/}: the adapter exactly as peft saves it (adapter_config.json,
 * adapter_model.safetensors), README.md in peft's model-card layout, the base's config.json and tokenizer
 * files. Built locally, copied to a temporary sibling and renamed into place, so a half-copied final/ never
 * exists under that name. A final/ holding anything else (the user's files) is never replaced.
 */
public final class FinalSave {

    /**
     * Files copied from the base model folder when present (what the notebook's save cell keeps); merge copies
     * the same ones beside a merged model.
     */
    public static final List<String> BASE_FILES = Arrays.asList(
            "config.json",
            "generation_config.json",
            "tokenizer.json",
            "tokenizer_config.json",
            "special_tokens_map.json",
            "added_tokens.json",
            "vocab.json",
            "merges.txt",
            "tokenizer.model",
            "chat_template.jinja");

    private final java.nio.file.Path baseModelDir;
    private final String baseModelNameOrPath;
    private final Map<String, Object> dataSummary;

    /**
     * @param baseModelDir local folder of the base model (config.json, tokenizer files)
     * @param baseModelNameOrPath what adapter_config.json and the card name as the base (a Hub id when known)
     * @param dataSummary the shard manifest's summary (counts, tokenizer, template), shown in the card
     */
    public FinalSave(java.nio.file.Path baseModelDir, String baseModelNameOrPath, Map<String, Object> dataSummary) {
        this.baseModelDir = baseModelDir;
        this.baseModelNameOrPath = baseModelNameOrPath;
        this.dataSummary = dataSummary;
    }

    public String baseModelNameOrPath() {
        return baseModelNameOrPath;
    }

    /** Names this class writes into final/: the adapter's files, the model card and {@link #BASE_FILES}. */
    static boolean writerFile(String name) {
        return name.startsWith("adapter_") || name.equals("README.md") || BASE_FILES.contains(name);
    }

    /**
     * Refuses (before any training) when final/ holds anything this class does not write: replacing it would
     * delete the user's files. A final/ of earlier runs of this project is replaced when the new one is complete.
     */
    static void requireReplaceable(OutputLocation out) throws IOException {
        Path target = out.finalDir();
        if (!out.fs.exists(target)) {
            return;
        }
        List<String> foreign = new java.util.ArrayList<>();
        if (out.fs.getFileStatus(target).isDirectory()) {
            for (FileStatus st : out.fs.listStatus(target)) {
                if (!st.isFile() || !writerFile(st.getPath().getName())) {
                    foreign.add(st.getPath().getName());
                }
            }
        } else {
            foreign.add(target.getName() + " is a file");
        }
        if (!foreign.isEmpty()) {
            throw new ConfigException(target + " holds files train does not write (" + String.join(", ", foreign)
                    + ") and would be replaced by the new adapter; move them out, or train under another project_name "
                    + "(--project-name)");
        }
    }

    Path save(TrainableModel model, OutputLocation out, TrainOptions options, TrainState state) throws IOException {
        requireReplaceable(out);
        java.nio.file.Path local = Files.createTempDirectory("finetune-final-");
        try {
            model.saveAdapter(local);
            for (String name : BASE_FILES) {
                java.nio.file.Path f = baseModelDir.resolve(name);
                if (Files.isRegularFile(f)) {
                    Files.copy(f, local.resolve(name));
                }
            }
            Files.write(
                    local.resolve("README.md"),
                    ModelCard.render(baseModelNameOrPath, options, state, dataSummary)
                            .getBytes(StandardCharsets.UTF_8));
            Path target = out.finalDir();
            Path tmp = new Path(out.projectDir, ".tmp-final-" + UUID.randomUUID());
            out.fs.mkdirs(tmp);
            try (java.util.stream.Stream<java.nio.file.Path> files = Files.list(local)) {
                for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) files::iterator) {
                    out.fs.copyFromLocalFile(
                            false,
                            true,
                            new Path(f.toUri()),
                            new Path(tmp, f.getFileName().toString()));
                }
            }
            if (out.fs.exists(target)) {
                Path old = new Path(out.projectDir, ".old-final-" + UUID.randomUUID());
                if (!out.fs.rename(target, old)) {
                    throw new IOException("could not move the previous " + target + " aside to " + old);
                }
                out.fs.delete(old, true);
            }
            if (!out.fs.rename(tmp, target)) {
                throw new IOException("could not rename " + tmp + " to " + target);
            }
            for (FileStatus st : out.fs.listStatus(out.projectDir)) {
                if (st.getPath().getName().startsWith(".tmp-final-")) {
                    out.fs.delete(st.getPath(), true);
                }
            }
            return target;
        } finally {
            CheckpointFiles.deleteTree(local);
        }
    }
}
