package dev.finetune.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.hub.HubAccessException.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Downloads just the files a fine-tune needs from a model or adapter repo into the shared
 * cache, pinned to one commit, and returns {@code snapshots/<commit>}.
 */
final class ModelSnapshots {
    static final List<String> MODEL_REQUIRED = Arrays.asList("config.json");
    static final List<String> MODEL_OPTIONAL = Arrays.asList(
            "generation_config.json",
            "tokenizer.json",
            "tokenizer_config.json",
            "special_tokens_map.json",
            "chat_template.jinja");
    static final List<String> ADAPTER_REQUIRED = Arrays.asList("adapter_config.json", "adapter_model.safetensors");
    static final List<String> ADAPTER_OPTIONAL = Arrays.asList(
            "README.md", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja");
    static final String INDEX = "model.safetensors.index.json";
    static final String SINGLE = "model.safetensors";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HubHttp http;
    private final HubCache cache;
    private final RepoApi api;
    private final CachedDownloads downloads;

    ModelSnapshots(HubHttp http, HubCache cache, RepoApi api, CachedDownloads downloads) {
        this.http = http;
        this.cache = cache;
        this.api = api;
        this.downloads = downloads;
    }

    Path model(HubRepo repo, String revision) throws IOException {
        Snapshot s = open(repo, revision);
        Set<String> want = new LinkedHashSet<>(MODEL_REQUIRED);
        for (String f : MODEL_OPTIONAL) {
            if (s.has(f)) {
                want.add(f);
            }
        }
        if (s.has(INDEX)) {
            want.add(INDEX);
        } else if (s.has(SINGLE)) {
            want.add(SINGLE);
        } else {
            throw new HubAccessException(
                    Kind.ENTRY_NOT_FOUND,
                    404,
                    repo + " at revision '" + revision + "' has no "
                            + SINGLE + " or " + INDEX
                            + (s.has("pytorch_model.bin")
                                    ? " (only pytorch_model.bin, which we do not"
                                            + " read: pick a repo with safetensors weights)"
                                    : "")
                            + "; is it a model repository?");
        }
        fetch(s, want);
        if (want.contains(INDEX)) {
            fetch(s, shardsOf(cache.snapshotFile(repo, s.commit, INDEX)));
        }
        return cache.snapshotDir(repo, s.commit);
    }

    Path adapter(HubRepo repo, String revision) throws IOException {
        Snapshot s = open(repo, revision);
        Set<String> want = new LinkedHashSet<>(ADAPTER_REQUIRED);
        for (String f : ADAPTER_OPTIONAL) {
            if (s.has(f)) {
                want.add(f);
            }
        }
        fetch(s, want);
        return cache.snapshotDir(repo, s.commit);
    }

    /** Shard file names in the index's weight_map, in first-seen order. */
    static List<String> shardsOf(Path index) throws IOException {
        JsonNode map = JSON.readTree(index.toFile()).path("weight_map");
        if (!map.isObject() || map.size() == 0) {
            throw new IOException(index + " has no weight_map; the sharded checkpoint index is malformed");
        }
        Set<String> shards = new LinkedHashSet<>();
        for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) {
            String shard = it.next().asText();
            if (shard.contains("..") || shard.startsWith("/")) {
                throw new IOException(index + " names shard '" + shard + "' outside the repository");
            }
            shards.add(shard);
        }
        return new ArrayList<>(shards);
    }

    /** The pinned commit and which files exist there (null when only the cache is available: probe it). */
    private static final class Snapshot {
        final HubRepo repo;
        final String commit;
        final List<String> files;
        final Path dir;

        Snapshot(HubRepo repo, String commit, List<String> files, Path dir) {
            this.repo = repo;
            this.commit = commit;
            this.files = files;
            this.dir = dir;
        }

        boolean has(String f) {
            return files != null ? files.contains(f) : Files.exists(dir.resolve(f));
        }
    }

    private Snapshot open(HubRepo repo, String revision) throws IOException {
        if (http.settings().offline()) {
            Optional<String> commit = cache.commitFor(repo, revision);
            if (commit.isEmpty() || !Files.isDirectory(cache.snapshotDir(repo, commit.get()))) {
                throw new HubAccessException(
                        Kind.OFFLINE_NOT_CACHED,
                        0,
                        "HF_HUB_OFFLINE is set but " + repo
                                + " at revision '" + revision + "' is not in the cache "
                                + http.settings().cacheDir()
                                + "; download it once with network access");
            }
            return new Snapshot(repo, commit.get(), null, cache.snapshotDir(repo, commit.get()));
        }
        RepoApi.RevisionInfo info = api.revision(repo, revision);
        cache.writeRef(repo, revision, info.commit);
        return new Snapshot(repo, info.commit, info.files, cache.snapshotDir(repo, info.commit));
    }

    private void fetch(Snapshot s, Iterable<String> files) throws IOException {
        for (String f : files) {
            if (s.files != null && !s.files.contains(f)) {
                throw new HubAccessException(
                        Kind.ENTRY_NOT_FOUND,
                        404,
                        "file '" + f + "' does not exist in " + s.repo + " at commit " + s.commit);
            }
            downloads.download(s.repo, s.commit, f);
        }
    }
}
