package dev.finetune.trainer.cli;

import dev.finetune.config.ConfigException;
import dev.finetune.config.RunConfig;
import dev.finetune.hub.HubClient;
import dev.finetune.hub.HubRepo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * base_model_id → a local folder: an existing folder as it is, a Hub id through the Hub client's cache (shared
 * with huggingface_hub). Only the files a step needs are fetched: prepare needs the tokenizer, train and
 * generate the whole model.
 */
final class ModelFiles {
    private ModelFiles() {}

    /** A local folder with tokenizer.json and tokenizer_config.json of the base model. */
    static Path tokenizerDir(RunConfig c) throws IOException {
        Path local = localFolder(c.baseModelId);
        if (local != null) {
            return local;
        }
        HubClient hub = HubClient.fromEnvironment();
        HubRepo repo = HubRepo.model(c.baseModelId);
        Path json = hub.downloadToCache(repo, revision(c), "tokenizer.json");
        hub.downloadToCache(repo, revision(c), "tokenizer_config.json");
        return json.getParent();
    }

    /** A local folder with config.json, the weights and the tokenizer files of the base model. */
    static Path modelDir(RunConfig c) throws IOException {
        Path local = localFolder(c.baseModelId);
        return local != null ? local : HubClient.fromEnvironment().downloadModel(HubRepo.model(c.baseModelId), revision(c));
    }

    private static String revision(RunConfig c) {
        return c.modelRevision != null ? c.modelRevision : "main";
    }

    private static Path localFolder(String id) {
        if (id.startsWith("gs://") || id.startsWith("hdfs://")) {
            throw new ConfigException("base_model_id = " + id + ": models are read from a local or Drive folder "
                    + "or the Hub; copy it to local disk first (gsutil -m cp -r)");
        }
        Path p = Paths.get(id);
        if (Files.isDirectory(p)) {
            return p;
        }
        if (id.startsWith("/") || id.startsWith(".") || id.split("/").length != 2) {
            throw new ConfigException("base_model_id = " + id + " is neither an existing folder nor a Hub id "
                    + "(org/name)");
        }
        return null;
    }
}
