package dev.finetune.hub;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The project's one Hugging Face Hub client: dataset file listing, per-file downloads usable from any JVM,
 * model/adapter snapshots in the shared huggingface_hub cache, and pushes. Thread-safe; one instance per JVM
 * is plenty. Build one from {@link HubSettings}, which is serializable and can travel to Spark executors.
 */
public final class HubClient {
    private static final java.util.concurrent.ConcurrentHashMap<HubSettings, HubClient> SHARED =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final HubSettings settings;
    private final HubHttp http;
    private final HubCache cache;
    private final RepoApi api;
    private final FileTransfer transfer;
    private final CachedDownloads cached;

    private HubClient(HubSettings settings) {
        this.settings = settings;
        this.http = new HubHttp(settings);
        this.cache = new HubCache(settings.cacheDir(), settings.disableSymlinks());
        this.api = new RepoApi(http);
        this.transfer = new FileTransfer(http);
        this.cached = new CachedDownloads(http, cache, transfer);
    }

    public static HubClient create(HubSettings settings) {
        return new HubClient(settings);
    }

    /**
     * One client per distinct settings in this JVM. Spark tasks should use this: each task deserializes its own
     * copy of the settings, and a new HttpClient per file would leave its threads behind until garbage collection.
     */
    public static HubClient shared(HubSettings settings) {
        return SHARED.computeIfAbsent(settings, HubClient::new);
    }

    /** A client configured from HF_* environment variables, as huggingface_hub would be. */
    public static HubClient fromEnvironment() {
        return new HubClient(HubSettings.fromEnvironment());
    }

    public HubSettings settings() {
        return settings;
    }

    // ---- datasets

    /**
     * The parquet (or, without a parquet export, jsonl/json) files of one config of a dataset.
     *
     * @param revision null/"main" (uses the Hub's parquet export when there is one) or another branch/commit
     * @param config null picks "default" or the only config; several configs without a choice is an error
     * @param split null for all splits
     */
    public DatasetFiles listDatasetFiles(HubRepo dataset, String revision, String config, String split)
            throws IOException {
        return new DatasetResolver(api, settings).resolve(dataset, revision, config, split);
    }

    /**
     * Streams one remote file into {@code out}, resuming dropped connections with Range requests and verifying
     * size and sha256 when known. Does not touch the cache: meant for executors staging files elsewhere.
     *
     * @return bytes written
     */
    public long download(RemoteFile file, OutputStream out) throws IOException {
        refuseOffline(file);
        return transfer.toStream(resolveUrl(file), subject(file), file.size(), file.sha256(), out);
    }

    /** Downloads one remote file to a local path through {@code <target>.incomplete}; resumes a partial one. */
    public void download(RemoteFile file, Path target) throws IOException {
        refuseOffline(file);
        Path incomplete = target.resolveSibling(target.getFileName() + ".incomplete");
        transfer.toFile(resolveUrl(file), subject(file), file.size(), file.sha256(), target, incomplete);
    }

    /** The resolve URL of a file (it redirects to a CDN for LFS files). */
    public URI resolveUrl(RemoteFile file) {
        return HubUrls.resolve(settings.endpoint(), file.repo(), file.revision(), file.path());
    }

    // ---- cache and models

    /** hf_hub_download: one file into the shared cache; returns its path under snapshots/<commit>/. */
    public Path downloadToCache(HubRepo repo, String revision, String path) throws IOException {
        return cached.download(repo, revision, path);
    }

    /**
     * The files needed to fine-tune a model: config.json, generation_config.json, tokenizer files,
     * chat_template.jinja (when present) and model.safetensors or the index plus its shards.
     *
     * @return the local snapshot directory, {@code <cache>/models--org--name/snapshots/<commit>}
     */
    public Path downloadModel(HubRepo model, String revision) throws IOException {
        return new ModelSnapshots(http, cache, api, cached).model(model, revision);
    }

    /** adapter_config.json + adapter_model.safetensors (+ README/tokenizer files when present). */
    public Path downloadAdapter(HubRepo adapter, String revision) throws IOException {
        return new ModelSnapshots(http, cache, api, cached).adapter(adapter, revision);
    }

    /** Files and directories under {@code path} ("" = root) at a revision. */
    public List<RepoEntry> listFiles(HubRepo repo, String revision, String path, boolean recursive) throws IOException {
        return api.tree(repo, revision, path, recursive);
    }

    /** The commit sha a branch, tag or ref currently points to. */
    public String resolveCommit(HubRepo repo, String revision) throws IOException {
        return api.revision(repo, revision).commit;
    }

    // ---- push

    /** Creates the repo if it does not exist (409 is success). */
    public void createRepo(HubRepo repo, boolean privateRepo) throws IOException {
        new HubUploader(http).createRepo(repo, privateRepo);
    }

    /**
     * Creates the repo if needed (private unless {@code privateRepo} is false) and commits every file of
     * {@code folder} (except hidden files and the _SUCCESS marker) to {@code revision} in one commit.
     */
    public CommitResult push(HubRepo repo, Path folder, String revision, String commitMessage, boolean privateRepo)
            throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IOException("cannot push " + folder + ": not a directory");
        }
        if (commitMessage == null || commitMessage.trim().isEmpty()) {
            throw new IllegalArgumentException("a commit message is required to push " + folder + " to " + repo);
        }
        if (settings.offline()) {
            throw new HubAccessException(
                    HubAccessException.Kind.UNAVAILABLE,
                    0,
                    "cannot push " + folder + " to " + repo
                            + ": HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set, and uploading needs the network; run the push "
                            + "without it (e.g. `HF_HUB_OFFLINE= jobs/finetune push ...`) on a machine with network access");
        }
        HubUploader up = new HubUploader(http);
        up.createRepo(repo, privateRepo);
        return up.uploadFolder(repo, folder, revision == null ? "main" : revision, commitMessage);
    }

    private void refuseOffline(RemoteFile f) throws HubAccessException {
        if (settings.offline()) {
            throw new HubAccessException(
                    HubAccessException.Kind.OFFLINE_NOT_CACHED,
                    0,
                    "HF_HUB_OFFLINE is set, so " + subject(f).describe()
                            + " cannot be fetched; unset HF_HUB_OFFLINE or use local files");
        }
    }

    private static HubErrors.Subject subject(RemoteFile f) {
        return new HubErrors.Subject(f.repo(), f.revision(), f.path());
    }
}
