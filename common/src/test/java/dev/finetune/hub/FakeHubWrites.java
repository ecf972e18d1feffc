package dev.finetune.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The push side of {@link FakeHub}: create repo, preupload (LFS when the name or size says so, or the sample
 * holds a NUL byte), the LFS batch API (basic or multipart plans, plus a verify action), the storage host's
 * PUTs (basic ones must carry the header the batch answer gave) and the NDJSON commit, which is applied to the
 * repo so pushed files can be downloaded back.
 */
final class FakeHubWrites {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final FakeHub hub;
    private final Map<String, byte[]> partStore = new ConcurrentHashMap<>();

    FakeHubWrites(FakeHub hub) {
        this.hub = hub;
    }

    /** Storage-host uploads; false if the request is not one. */
    boolean storage(HttpExchange ex, String[] p, byte[] body) throws IOException {
        String m = ex.getRequestMethod();
        if (p.length == 2 && p[0].equals("lfs-upload") && m.equals("PUT")) {
            if (!FakeHub.UPLOAD_SIG.equals(ex.getRequestHeaders().getFirst(FakeHub.UPLOAD_SIG_HEADER))) {
                FakeHub.send(ex, 403, "SignatureDoesNotMatch", null);
                return true;
            }
            if (!FakeRepo.sha256(body).equals(p[1])) {
                FakeHub.send(ex, 400, "BadDigest", null);
                return true;
            }
            hub.lfsStore.put(p[1], body);
            FakeHub.send(ex, 200, "", null);
        } else if (p.length == 3 && p[0].equals("lfs-part") && m.equals("PUT")) {
            partStore.put(p[1] + "/" + p[2], body);
            FakeHub.send(ex, 200, "", Map.of("ETag", "\"etag-" + p[2] + "\""));
        } else if (p.length == 2 && p[0].equals("lfs-complete") && m.equals("POST")) {
            JsonNode n = JSON.readTree(body);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (JsonNode part : n.path("parts")) {
                String key = p[1] + "/" + part.path("partNumber").asInt();
                if (!("\"etag-" + part.path("partNumber").asInt() + "\"")
                        .equals(part.path("etag").asText())) {
                    FakeHub.send(ex, 400, "bad etag", null);
                    return true;
                }
                all.write(partStore.get(key));
            }
            if (!FakeRepo.sha256(all.toByteArray()).equals(p[1])) {
                FakeHub.send(ex, 400, "BadDigest", null);
                return true;
            }
            hub.lfsStore.put(p[1], all.toByteArray());
            FakeHub.send(ex, 200, "{}", null);
        } else {
            return false;
        }
        return true;
    }

    void createRepo(HttpExchange ex, byte[] body) throws IOException {
        if (!hub.authorized(ex)) {
            FakeHub.send(ex, 401, "{\"error\":\"Invalid username or password.\"}", null);
            return;
        }
        JsonNode n = JSON.readTree(body);
        String org = n.path("organization").asText("");
        String name = n.path("name").asText();
        HubRepo id = HubRepo.of(
                "dataset".equals(n.path("type").asText()) ? RepoType.DATASET : RepoType.MODEL,
                org.isEmpty() ? name : org + "/" + name);
        if (hub.existingRepo(id) != null) {
            FakeHub.send(ex, 409, "{\"error\":\"You already created this model repo\"}", null);
            return;
        }
        FakeRepo r = hub.repo(id);
        r.privateRepo = n.path("private").asBoolean(false);
        r.commit("main", new TreeMap<>());
        FakeHub.send(ex, 200, "{\"url\":\"" + hub.endpoint() + "/" + id.id() + "\"}", null);
    }

    void preupload(HttpExchange ex, FakeRepo repo, String rev, byte[] body) throws IOException {
        if (!hub.authorized(ex)) {
            FakeHub.send(ex, 401, "{\"error\":\"Unauthorized\"}", null);
            return;
        }
        String commit = repo.commitOf(rev);
        Map<String, byte[]> existing = commit == null ? Map.of() : repo.files(commit);
        ObjectNode out = JSON.createObjectNode();
        ArrayNode files = out.putArray("files");
        for (JsonNode f : JSON.readTree(body).path("files")) {
            String path = f.path("path").asText();
            byte[] sample = Base64.getDecoder().decode(f.path("sample").asText());
            long size = f.path("size").asLong();
            boolean lfs = size > 0 && (FakeRepo.isLfs(path, new byte[(int) Math.min(size, 9000)]) || hasZero(sample));
            ObjectNode e = files.addObject()
                    .put("path", path)
                    .put("uploadMode", lfs ? "lfs" : "regular")
                    .put("shouldIgnore", false);
            byte[] old = existing.get(path);
            if (old != null) {
                e.put("oid", lfs ? FakeRepo.sha256(old) : FakeRepo.gitSha1(old));
            }
        }
        FakeHub.send(ex, 200, out.toString(), null);
    }

    private static boolean hasZero(byte[] b) {
        for (byte x : b) {
            if (x == 0) {
                return true;
            }
        }
        return false;
    }

    void lfsBatch(HttpExchange ex, byte[] body) throws IOException {
        if (!hub.authorized(ex)) {
            FakeHub.send(ex, 401, "{\"message\":\"Unauthorized\"}", null);
            return;
        }
        JsonNode req = JSON.readTree(body);
        ObjectNode out = JSON.createObjectNode();
        out.put("transfer", hub.multipartChunk > 0 ? "multipart" : "basic");
        ArrayNode objects = out.putArray("objects");
        for (JsonNode o : req.path("objects")) {
            String oid = o.path("oid").asText();
            long size = o.path("size").asLong();
            ObjectNode r = objects.addObject().put("oid", oid).put("size", size);
            if (hub.lfsStore.containsKey(oid)) {
                continue; // already stored: no actions
            }
            ObjectNode actions = r.putObject("actions");
            if (hub.multipartChunk > 0) {
                ObjectNode up = actions.putObject("upload");
                up.put("href", hub.cdn() + "/lfs-complete/" + oid);
                ObjectNode h = up.putObject("header");
                h.put("chunk_size", Long.toString(hub.multipartChunk));
                long parts = (size + hub.multipartChunk - 1) / hub.multipartChunk;
                for (int i = 1; i <= parts; i++) {
                    h.put(Integer.toString(i), hub.cdn() + "/lfs-part/" + oid + "/" + i + "?X-Amz-Signature=p" + i);
                }
            } else {
                actions.putObject("upload")
                        .put("href", hub.cdn() + "/lfs-upload/" + oid + "?X-Amz-Signature=s")
                        .putObject("header")
                        .put(FakeHub.UPLOAD_SIG_HEADER, FakeHub.UPLOAD_SIG);
            }
            actions.putObject("verify")
                    .put("href", hub.endpoint() + "/lfs-verify/" + oid)
                    .putObject("header");
        }
        FakeHub.send(ex, 200, out.toString(), Map.of("Content-Type", "application/vnd.git-lfs+json"));
    }

    void commit(HttpExchange ex, FakeRepo repo, String rev, byte[] body) throws IOException {
        if (!hub.authorized(ex)) {
            FakeHub.send(ex, 401, "{\"error\":\"Unauthorized\"}", null);
            return;
        }
        List<JsonNode> lines = new ArrayList<>();
        for (String line : new String(body, StandardCharsets.UTF_8).split("\n")) {
            if (!line.isEmpty()) {
                lines.add(JSON.readTree(line));
            }
        }
        hub.commitPayloads.add(lines);
        String parent = repo.commitOf(rev);
        TreeMap<String, byte[]> files = new TreeMap<>(parent == null ? Map.of() : repo.files(parent));
        for (JsonNode l : lines) {
            JsonNode v = l.path("value");
            switch (l.path("key").asText()) {
                case "header":
                    break;
                case "file":
                    files.put(
                            v.path("path").asText(),
                            Base64.getDecoder().decode(v.path("content").asText()));
                    break;
                case "lfsFile":
                    byte[] blob = hub.lfsStore.get(v.path("oid").asText());
                    if (blob == null || blob.length != v.path("size").asLong()) {
                        FakeHub.send(
                                ex,
                                422,
                                "{\"error\":\"LFS object " + v.path("oid").asText() + " was never uploaded\"}",
                                null);
                        return;
                    }
                    files.put(v.path("path").asText(), blob);
                    break;
                default:
                    FakeHub.send(ex, 400, "{\"error\":\"unknown key\"}", null);
                    return;
            }
        }
        String sha = repo.commit(rev, files);
        FakeHub.send(
                ex,
                200,
                "{\"commitUrl\":\"" + hub.endpoint() + "/" + repo.id.id() + "/commit/" + sha + "\",\"commitOid\":\""
                        + sha + "\"}",
                null);
    }
}
