package dev.finetune.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A loopback Hugging Face Hub for tests: revision info, paginated tree listing, resolve with redirects (LFS
 * files to a "CDN" on another host, small files to a relative /api/resolve-cache URL), Range, access errors with
 * X-Error-Code, and the push protocol (create, preupload, LFS batch + PUT + verify, NDJSON commit). The Hub is
 * {@code http://localhost:<port>}; the CDN is {@code http://127.0.0.1:<port>}: the same socket, but a
 * different host for the client, which is what the token rules are about. Every request is recorded with its
 * Authorization header. Faults: {@link #failNext}, {@link #dropAfter}, {@link #stallAfter}. The push side lives in
 * {@link FakeHubWrites}.
 */
public final class FakeHub implements AutoCloseable {
    /** The only token the fake accepts. */
    public static final String TOKEN = "hf_FakeHubSecretToken0123456789abcdef";
    /** Header the LFS batch response tells the client to send with its PUT; the CDN insists on it. */
    static final String UPLOAD_SIG_HEADER = "X-Upload-Sig";

    static final String UPLOAD_SIG = "presigned-ok";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request as received. */
    public static final class Recorded {
        public final String method;
        public final String host;
        public final String path;
        public final String authorization;
        public final String range;
        public final byte[] body;
        public final Map<String, List<String>> headers;

        Recorded(
                String method,
                String host,
                String path,
                String authorization,
                String range,
                byte[] body,
                Map<String, List<String>> headers) {
            this.method = method;
            this.host = host;
            this.path = path;
            this.authorization = authorization;
            this.range = range;
            this.body = body;
            this.headers = headers;
        }

        /** First value of a request header, name matched case-insensitively; null if absent. */
        public String header(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                    return e.getValue().get(0);
                }
            }
            return null;
        }

        public boolean toCdn() {
            return host.startsWith("127.0.0.1");
        }

        @Override
        public String toString() {
            return method + " " + host + path + (range == null ? "" : " Range=" + range)
                    + (authorization == null ? "" : " [auth]");
        }
    }

    private static final class Fault {
        final String pathContains;
        final int status;
        final Map<String, String> headers;
        int times;

        Fault(String pathContains, int status, Map<String, String> headers, int times) {
            this.pathContains = pathContains;
            this.status = status;
            this.headers = headers;
            this.times = times;
        }
    }

    private final HttpServer server;
    private final ExecutorService pool;
    private final int port;
    private final Map<HubRepo, FakeRepo> repos = new ConcurrentHashMap<>();
    final Map<String, byte[]> lfsStore = new ConcurrentHashMap<>();
    final List<List<JsonNode>> commitPayloads = new CopyOnWriteArrayList<>();
    private final FakeHubWrites writes = new FakeHubWrites(this);
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private final List<Fault> faults = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> drops = new ConcurrentHashMap<>();
    private final Map<String, Integer> stalls = new ConcurrentHashMap<>();
    private volatile int treePageSize = 1000;
    volatile long multipartChunk = 0;

    private FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-hub");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.createContext("/", this::handle);
        server.start();
        port = server.getAddress().getPort();
    }

    public static FakeHub start() throws IOException {
        return new FakeHub();
    }

    /** The Hub: pass as HF_ENDPOINT. */
    public String endpoint() {
        return "http://localhost:" + port;
    }

    /** The other host (pre-signed URLs point here). */
    public String cdn() {
        return "http://127.0.0.1:" + port;
    }

    /** Settings for a client of this fake: our token (or none), the given cache, millisecond retries. */
    public HubSettings.Builder settings(java.nio.file.Path cacheDir, boolean withToken) {
        return HubSettings.builder()
                .endpoint(endpoint())
                .token(withToken ? HfToken.of(TOKEN) : null)
                .cacheDir(cacheDir)
                .retry(RetryPolicy.of(
                        4,
                        java.time.Duration.ofMillis(5),
                        java.time.Duration.ofMillis(20),
                        java.time.Duration.ofSeconds(2)));
    }

    public FakeRepo repo(HubRepo id) {
        return repos.computeIfAbsent(id, FakeRepo::new);
    }

    public FakeRepo existingRepo(HubRepo id) {
        return repos.get(id);
    }

    public List<Recorded> requests() {
        return Collections.unmodifiableList(new ArrayList<>(requests));
    }

    public void clearRequests() {
        requests.clear();
    }

    /** NDJSON commit payloads received, one list of lines per commit. */
    public List<List<JsonNode>> commits() {
        return Collections.unmodifiableList(new ArrayList<>(commitPayloads));
    }

    /** Bytes stored through the LFS upload path, by sha256. */
    public Map<String, byte[]> lfsStore() {
        return lfsStore;
    }

    public void treePageSize(int n) {
        treePageSize = n;
    }

    /** Makes the LFS batch API answer with a multipart plan of this part size (0 = basic transfer). */
    public void multipartChunk(long bytes) {
        multipartChunk = bytes;
    }

    /** The next {@code times} requests whose path contains {@code pathContains} get {@code status}. */
    public void failNext(String pathContains, int status, Map<String, String> headers, int times) {
        faults.add(new Fault(pathContains, status, headers, times));
    }

    /** The next GET whose path contains {@code pathContains} sends {@code bytes} bytes and drops the connection. */
    public void dropAfter(String pathContains, int bytes) {
        drops.put(pathContains, bytes);
    }

    /** The next GET whose path contains {@code pathContains} sends {@code bytes} bytes, then goes silent. */
    public void stallAfter(String pathContains, int bytes) {
        stalls.put(pathContains, bytes);
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }

    // ------------------------------------------------------------------ dispatch

    private void handle(HttpExchange ex) throws IOException {
        try {
            String host = ex.getRequestHeaders().getFirst("Host");
            String rawPath = ex.getRequestURI().getRawPath();
            String query = ex.getRequestURI().getRawQuery();
            byte[] body = ex.getRequestBody().readAllBytes();
            requests.add(new Recorded(
                    ex.getRequestMethod(),
                    host,
                    rawPath + (query == null ? "" : "?" + query),
                    ex.getRequestHeaders().getFirst("Authorization"),
                    ex.getRequestHeaders().getFirst("Range"),
                    body,
                    new TreeMap<>(ex.getRequestHeaders())));
            if (injectFault(ex, rawPath)) {
                return;
            }
            if (host != null && host.startsWith("127.0.0.1")) {
                cdn(ex, rawPath, body);
            } else {
                hub(ex, rawPath, query, body);
            }
        } catch (DroppedConnection d) {
            throw d;
        } catch (RuntimeException | IOException e) {
            send(ex, 500, "{\"error\":\"fake hub bug: " + e + "\"}", null);
        } finally {
            ex.close();
        }
    }

    private boolean injectFault(HttpExchange ex, String path) throws IOException {
        for (Fault f : faults) {
            synchronized (f) {
                if (f.times > 0 && path.contains(f.pathContains)) {
                    f.times--;
                    Headers h = ex.getResponseHeaders();
                    f.headers.forEach(h::add);
                    send(ex, f.status, "{\"error\":\"injected " + f.status + "\"}", null);
                    return true;
                }
            }
        }
        return false;
    }

    private void hub(HttpExchange ex, String rawPath, String query, byte[] body) throws IOException {
        String m = ex.getRequestMethod();
        String[] p = segments(rawPath);
        if (p.length >= 2 && p[0].equals("api") && p[1].equals("repos") && m.equals("POST")) {
            writes.createRepo(ex, body);
            return;
        }
        if (p.length >= 2 && p[0].equals("lfs-verify")) {
            if (!authorized(ex)) {
                send(ex, 401, "{\"error\":\"verify needs a token\"}", null);
            } else {
                send(ex, lfsStore.containsKey(p[1]) ? 200 : 404, "{}", null);
            }
            return;
        }
        if (p.length >= 5 && p[0].equals("api") && p[1].equals("resolve-cache")) {
            // /api/resolve-cache/{models|datasets}/{ns}/{name}/{commit}/{path...}
            HubRepo id = HubRepo.of(p[2].equals("datasets") ? RepoType.DATASET : RepoType.MODEL, p[3] + "/" + p[4]);
            serveFile(ex, id, p[5], join(p, 6), false);
            return;
        }
        if (p.length >= 4 && p[0].equals("api") && (p[1].equals("models") || p[1].equals("datasets"))) {
            HubRepo id = HubRepo.of(p[1].equals("datasets") ? RepoType.DATASET : RepoType.MODEL, p[2] + "/" + p[3]);
            String op = p.length > 4 ? p[4] : "";
            FakeRepo repo = readable(ex, id, !op.equals("preupload") && !op.equals("commit"));
            if (repo == null) {
                return;
            }
            String rev = p.length > 5 ? p[5] : "main";
            if (op.equals("revision")) {
                revisionInfo(ex, repo, rev);
            } else if (op.equals("tree")) {
                tree(ex, repo, rev, join(p, 6), query);
            } else if (op.equals("preupload")) {
                writes.preupload(ex, repo, rev, body);
            } else if (op.equals("commit")) {
                writes.commit(ex, repo, rev, body);
            } else {
                send(ex, 404, "{\"error\":\"no such api\"}", null);
            }
            return;
        }
        boolean dataset = p.length > 0 && p[0].equals("datasets");
        int o = dataset ? 1 : 0;
        if (p.length >= o + 2 && p[o + 1].endsWith(".git") && rawPath.endsWith("/info/lfs/objects/batch")) {
            HubRepo id = HubRepo.of(
                    dataset ? RepoType.DATASET : RepoType.MODEL,
                    p[o] + "/" + p[o + 1].substring(0, p[o + 1].length() - 4));
            if (readable(ex, id, false) != null) {
                writes.lfsBatch(ex, body);
            }
            return;
        }
        if (p.length >= o + 5 && p[o + 2].equals("resolve")) {
            HubRepo id = HubRepo.of(dataset ? RepoType.DATASET : RepoType.MODEL, p[o] + "/" + p[o + 1]);
            if (readable(ex, id, true) != null) {
                serveFile(ex, id, p[o + 3], join(p, o + 4), true);
            }
            return;
        }
        send(ex, 404, "{\"error\":\"not found\"}", null);
    }

    // ------------------------------------------------------------------ read side

    boolean authorized(HttpExchange ex) {
        return ("Bearer " + TOKEN).equals(ex.getRequestHeaders().getFirst("Authorization"));
    }

    /** The repo if the caller may read it; otherwise the Hub's error has been sent and null returned. */
    private FakeRepo readable(HttpExchange ex, HubRepo id, boolean mustExist) throws IOException {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth != null && !authorized(ex)) {
            send(ex, 401, "{\"error\":\"Invalid credentials in Authorization header\"}", null);
            return null;
        }
        FakeRepo repo = repos.get(id);
        if (repo == null && !mustExist) {
            if (!authorized(ex)) {
                send(ex, 401, "{\"error\":\"Unauthorized\"}", Map.of("X-Error-Code", "RepoNotFound"));
                return null;
            }
            return repo(id);
        }
        if (repo == null || (repo.privateRepo && !authorized(ex))) {
            send(
                    ex,
                    auth == null ? 401 : 404,
                    "{\"error\":\"Repository not found\"}",
                    Map.of("X-Error-Code", "RepoNotFound"));
            return null;
        }
        if (repo.gated) {
            send(
                    ex,
                    auth == null ? 401 : 403,
                    "{\"error\":\"Access to " + id.id() + " is restricted\"}",
                    Map.of("X-Error-Code", "GatedRepo"));
            return null;
        }
        return repo;
    }

    private String commitOr404(HttpExchange ex, FakeRepo repo, String rev) throws IOException {
        String commit = repo.commitOf(rev);
        if (commit == null) {
            send(ex, 404, "{\"error\":\"Invalid rev id: " + rev + "\"}", Map.of("X-Error-Code", "RevisionNotFound"));
        }
        return commit;
    }

    private void revisionInfo(HttpExchange ex, FakeRepo repo, String rev) throws IOException {
        String commit = commitOr404(ex, repo, rev);
        if (commit == null) {
            return;
        }
        ObjectNode n = JSON.createObjectNode();
        n.put("id", repo.id.id());
        n.put("sha", commit);
        ArrayNode sib = n.putArray("siblings");
        for (String f : repo.files(commit).keySet()) {
            sib.addObject().put("rfilename", f);
        }
        send(ex, 200, n.toString(), null);
    }

    private void tree(HttpExchange ex, FakeRepo repo, String rev, String under, String query) throws IOException {
        String commit = commitOr404(ex, repo, rev);
        if (commit == null) {
            return;
        }
        boolean recursive = query != null && query.contains("recursive=true");
        int cursor = 0;
        if (query != null && query.contains("cursor=")) {
            cursor = Integer.parseInt(query.replaceAll(".*cursor=(\\d+).*", "$1"));
        }
        String prefix = under.isEmpty() ? "" : under + "/";
        TreeMap<String, ObjectNode> entries = new TreeMap<>();
        for (Map.Entry<String, byte[]> f : repo.files(commit).entrySet()) {
            String path = f.getKey();
            if (!path.startsWith(prefix)) {
                continue;
            }
            String rest = path.substring(prefix.length());
            String[] parts = rest.split("/");
            for (int i = 1; i < parts.length && (recursive || i == 1); i++) {
                String dir = prefix + String.join("/", java.util.Arrays.copyOf(parts, i));
                entries.put(
                        dir,
                        JSON.createObjectNode()
                                .put("type", "directory")
                                .put("path", dir)
                                .put("oid", "d"));
            }
            if (recursive || parts.length == 1) {
                byte[] c = f.getValue();
                ObjectNode e = JSON.createObjectNode()
                        .put("type", "file")
                        .put("path", path)
                        .put("size", c.length)
                        .put("oid", FakeRepo.gitSha1(c));
                if (FakeRepo.isLfs(path, c)) {
                    e.putObject("lfs")
                            .put("oid", FakeRepo.sha256(c))
                            .put("size", c.length)
                            .put("pointerSize", 134);
                }
                entries.put(path, e);
            }
        }
        if (!under.isEmpty() && entries.isEmpty()) {
            send(ex, 404, "{\"error\":\"not found\"}", Map.of("X-Error-Code", "EntryNotFound"));
            return;
        }
        List<ObjectNode> all = new ArrayList<>(entries.values());
        int end = Math.min(all.size(), cursor + treePageSize);
        ArrayNode page = JSON.createArrayNode();
        all.subList(cursor, end).forEach(page::add);
        Map<String, String> headers = new TreeMap<>();
        if (end < all.size()) {
            String base = ex.getRequestURI().getRawPath() + "?"
                    + (query == null ? "" : query.replaceAll("&?cursor=\\d+", ""));
            headers.put("Link", "<" + endpoint() + base + "&cursor=" + end + ">; rel=\"next\"");
        }
        send(ex, 200, page.toString(), headers);
    }

    /** resolve (viaResolve) or resolve-cache: LFS → 302 to the CDN, small files → relative 307, then content. */
    private void serveFile(HttpExchange ex, HubRepo id, String rev, String path, boolean viaResolve)
            throws IOException {
        FakeRepo repo = repos.get(id);
        String commit = commitOr404(ex, repo, rev);
        if (commit == null) {
            return;
        }
        byte[] content = repo.files(commit).get(path);
        if (content == null) {
            send(
                    ex,
                    404,
                    "{\"error\":\"Entry not found\"}",
                    Map.of("X-Error-Code", "EntryNotFound", "X-Repo-Commit", commit));
            return;
        }
        Headers h = ex.getResponseHeaders();
        h.add("X-Repo-Commit", commit);
        if (FakeRepo.isLfs(path, content)) {
            String sha = FakeRepo.sha256(content);
            lfsStore.putIfAbsent(sha, content);
            h.add("X-Linked-Etag", "\"" + sha + "\"");
            h.add("X-Linked-Size", Long.toString(content.length));
            h.add("Location", cdn() + "/cdn/" + sha + "?X-Amz-Signature=sig123");
            ex.sendResponseHeaders(302, -1);
            return;
        }
        if (viaResolve) {
            h.add("ETag", "\"" + FakeRepo.gitSha1(content) + "\"");
            h.add(
                    "Location",
                    "/api/resolve-cache/" + id.type().plural() + "/" + id.id() + "/" + commit + "/" + path + "?etag=x");
            ex.sendResponseHeaders(307, -1);
            return;
        }
        h.add("ETag", "\"" + FakeRepo.gitSha1(content) + "\"");
        sendBytes(ex, content, path);
    }

    private void cdn(HttpExchange ex, String rawPath, byte[] body) throws IOException {
        String[] p = segments(rawPath);
        String m = ex.getRequestMethod();
        if (p.length == 2 && p[0].equals("cdn") && (m.equals("GET") || m.equals("HEAD"))) {
            byte[] content = lfsStore.get(p[1]);
            if (content == null) {
                send(ex, 404, "NoSuchKey", null);
            } else {
                sendBytes(ex, content, rawPath);
            }
        } else if (!writes.storage(ex, p, body)) {
            send(ex, 404, "NoSuchKey", null);
        }
    }

    /** 200 or 206 with Content-Range; a registered drop sends part of the body, then kills the connection. */
    private void sendBytes(HttpExchange ex, byte[] content, String path) throws IOException {
        Headers h = ex.getResponseHeaders();
        h.add("Accept-Ranges", "bytes");
        int from = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
            from = Integer.parseInt(range.substring(6, range.length() - 1));
            if (from >= content.length) {
                h.add("Content-Range", "bytes */" + content.length);
                ex.sendResponseHeaders(416, -1);
                return;
            }
            h.add("Content-Range", "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
        }
        int status = range == null ? 200 : 206;
        int len = content.length - from;
        if (ex.getRequestMethod().equals("HEAD")) {
            h.add("Content-Length", Integer.toString(len));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        Integer dropAt = null;
        for (String key : drops.keySet()) {
            if (path.contains(key)) {
                dropAt = drops.remove(key);
                break;
            }
        }
        Integer stallAt = null;
        for (String key : stalls.keySet()) {
            if (path.contains(key)) {
                stallAt = stalls.remove(key);
                break;
            }
        }
        ex.sendResponseHeaders(status, len);
        OutputStream out = ex.getResponseBody();
        if (stallAt != null) {
            out.write(content, from, Math.min(stallAt, len));
            out.flush();
            try {
                Thread.sleep(60_000); // silent until the client gives up (or the server stops)
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new DroppedConnection();
        }
        if (dropAt != null) {
            out.write(content, from, Math.min(dropAt, len));
            out.flush();
            throw new DroppedConnection();
        }
        out.write(content, from, len);
    }

    /** Thrown from a handler after a partial body: the JDK server then closes the connection mid-response. */
    static final class DroppedConnection extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    // ------------------------------------------------------------------ helpers

    private static String[] segments(String rawPath) {
        String trimmed = rawPath.startsWith("/") ? rawPath.substring(1) : rawPath;
        String[] raw = trimmed.split("/", -1);
        String[] out = new String[raw.length];
        for (int i = 0; i < raw.length; i++) {
            out[i] = URLDecoder.decode(raw[i].replace("+", "%2B"), StandardCharsets.UTF_8);
        }
        return out;
    }

    private static String join(String[] p, int from) {
        return from >= p.length ? "" : String.join("/", java.util.Arrays.copyOfRange(p, from, p.length));
    }

    static void send(HttpExchange ex, int status, String body, Map<String, String> headers) throws IOException {
        if (headers != null) {
            headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
        }
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        if (ex.getRequestMethod().equals("HEAD") || b.length == 0) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }
}
