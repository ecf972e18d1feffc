package dev.finetune.app.cli;

import dev.finetune.config.ConfigException;
import dev.finetune.config.RunConfig;
import dev.finetune.hub.HubClient;
import dev.finetune.hub.HubRepo;
import dev.finetune.storage.NodeCopy;
import dev.finetune.storage.Storage;
import dev.finetune.tokenize.TokenizerFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Collections;

/**
 * base_model_id → a local folder: an existing folder as it is; a folder on any Hadoop FileSystem (gs://bucket/...,
 * hdfs://...) copied to this machine's local disk once ({@link NodeCopy}: ranks on one machine share the copy); a
 * Hub id through the Hub client's cache (shared with huggingface_hub; HF_TOKEN from the environment). Only the
 * files a step needs are fetched: prepare needs the tokenizer, train and generate the whole model.
 */
final class ModelFiles {
    private ModelFiles() {}

    /** A local folder with tokenizer.json and tokenizer_config.json of the base model. */
    static Path tokenizerDir(RunConfig c) throws IOException {
        if (NodeCopy.isRemote(c.baseModelId)) {
            return NodeCopy.files(
                    c.baseModelId,
                    Arrays.asList(
                            TokenizerFiles.TOKENIZER_JSON,
                            TokenizerFiles.TOKENIZER_CONFIG,
                            TokenizerFiles.CHAT_TEMPLATE_FILE),
                    Collections.singletonList(TokenizerFiles.TOKENIZER_JSON),
                    Storage.configuration(),
                    NodeCopy.root());
        }
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
        if (NodeCopy.isRemote(c.baseModelId)) {
            return NodeCopy.folder(c.baseModelId, Storage.configuration(), NodeCopy.root());
        }
        Path local = localFolder(c.baseModelId);
        return local != null
                ? local
                : HubClient.fromEnvironment().downloadModel(HubRepo.model(c.baseModelId), revision(c));
    }

    private static String revision(RunConfig c) {
        return c.modelRevision != null ? c.modelRevision : "main";
    }

    private static Path localFolder(String id) {
        Path p = Paths.get(id);
        if (Files.isDirectory(p)) {
            return p;
        }
        if (id.startsWith("/") || id.startsWith(".") || id.split("/").length != 2) {
            throw new ConfigException(
                    "base_model_id = " + id + " is neither an existing folder nor a Hub id " + "(org/name)");
        }
        return null;
    }
}
