package dev.finetune.hub;

import dev.finetune.hub.HubAccessException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * hf_hub_download in Java (docs/formats.md): HEAD the resolve URL for commit, etag and size, reuse the
 * blob if cached, else download it resumably into blobs/, then link snapshots/<commit>/<path> and write refs/.
 */
final class CachedDownloads {
    private static final Logger LOG = LoggerFactory.getLogger(CachedDownloads.class);
    private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();
    private final HubHttp http;
    private final HubCache cache;
    private final FileTransfer transfer;

    CachedDownloads(HubHttp http, HubCache cache, FileTransfer transfer) {
        this.http = http;
        this.cache = cache;
        this.transfer = transfer;
    }

    Path download(HubRepo repo, String revision, String path) throws IOException {
        Optional<Path> cached = cache.cachedFile(repo, revision, path);
        boolean pinned = HubCache.COMMIT.matcher(revision).matches();
        if (cached.isPresent() && (pinned || http.settings().offline())) {
            return cached.get();
        }
        if (http.settings().offline()) {
            throw new HubAccessException(
                    Kind.OFFLINE_NOT_CACHED,
                    0,
                    "HF_HUB_OFFLINE is set but file '" + path
                            + "' of " + repo + " at revision '" + revision + "' is not in the cache "
                            + http.settings().cacheDir()
                            + "; download it once with network access (unset HF_HUB_OFFLINE)");
        }
        HubErrors.Subject subject = new HubErrors.Subject(repo, revision, path);
        URI url = HubUrls.resolve(http.settings().endpoint(), repo, revision, path);
        Metadata meta;
        try {
            meta = head(url, subject);
        } catch (HubAccessException e) {
            if (e.kind() == Kind.UNAVAILABLE && cached.isPresent()) {
                LOG.warn(
                        "the Hub is unreachable; using the cached copy of {} ({})", subject.describe(), e.getMessage());
                return cached.get();
            }
            throw e;
        }
        cache.writeRef(repo, revision, meta.commit);
        Path blob = cache.blob(repo, meta.etag);
        if (!Files.exists(blob)) {
            // Download at the commit so every file of a snapshot comes from the same revision.
            URI pinnedUrl = HubUrls.resolve(http.settings().endpoint(), repo, meta.commit, path);
            fetchBlobLocked(repo, meta, pinnedUrl, subject);
        }
        return cache.link(repo, meta.commit, path, meta.etag);
    }

    /**
     * Several ranks or executors on one host may want the same blob at once: the lock file (huggingface_hub's
     * {@code .locks/<repo folder>/<etag>.lock}) serialises processes, the map threads of this JVM (a JVM may not
     * hold two overlapping FileLocks). Whoever comes second finds the blob and downloads nothing.
     */
    private void fetchBlobLocked(HubRepo repo, Metadata meta, URI url, HubErrors.Subject subject) throws IOException {
        Path lockFile = cache.lockFile(repo, meta.etag);
        Files.createDirectories(lockFile.getParent());
        ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(lockFile.toAbsolutePath(), k -> new ReentrantLock());
        jvmLock.lock();
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock held = ch.lock()) {
            Path blob = cache.blob(repo, meta.etag);
            if (Files.exists(blob)) {
                return;
            }
            String sha = meta.etag.length() == 64 ? meta.etag : null; // LFS etags are the content's sha256
            Files.createDirectories(blob.getParent());
            transfer.toFile(url, subject, meta.size, sha, blob, cache.incomplete(repo, meta.etag));
            LOG.info("downloaded {} ({} bytes)", subject.describe(), Files.size(blob));
        } finally {
            jvmLock.unlock();
        }
    }

    static final class Metadata {
        final String commit;
        final String etag;
        final long size;

        Metadata(String commit, String etag, long size) {
            this.commit = commit;
            this.etag = etag;
            this.size = size;
        }
    }

    /** HEAD with identity encoding; same-host redirects followed, a cross-host redirect read as is. */
    Metadata head(URI url, HubErrors.Subject subject) throws IOException {
        HubHttp.Call call = new HubHttp.Call("HEAD", url, null).about(subject).header("Accept-Encoding", "identity");
        call.followCrossHostRedirects = false;
        HttpResponse<InputStream> resp = http.send(call);
        HubHttp.drain(resp);
        HttpHeaders h = resp.headers();
        String commit = h.firstValue("X-Repo-Commit").orElse(null);
        String etag = normaliseEtag(
                h.firstValue("X-Linked-Etag").orElse(h.firstValue("ETag").orElse(null)));
        if (commit == null || etag == null) {
            throw new HubAccessException(
                    Kind.BAD_REQUEST,
                    resp.statusCode(),
                    "the server at "
                            + http.settings().endpoint() + " did not send X-Repo-Commit/ETag for " + subject.describe()
                            + "; is HF_ENDPOINT a Hugging Face Hub?");
        }
        long size = h.firstValue("X-Linked-Size").map(Long::parseLong).orElse(-1L);
        if (size < 0 && !HubHttp.isRedirect(resp.statusCode())) {
            size = h.firstValueAsLong("Content-Length").orElse(-1L);
        }
        return new Metadata(commit, etag, size);
    }

    static String normaliseEtag(String etag) {
        if (etag == null) {
            return null;
        }
        String e = etag.trim();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        e = e.replace("\"", "");
        return e.isEmpty() || e.contains("/") || e.contains("..") ? null : e;
    }
}
