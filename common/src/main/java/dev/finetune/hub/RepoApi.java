package dev.finetune.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Read-only repository metadata: revision → commit (+ file list) and the paginated tree listing. */
final class RepoApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
    private final HubHttp http;

    RepoApi(HubHttp http) {
        this.http = http;
    }

    /** What GET /api/{type}s/{repo}/revision/{rev} says: the commit and the files ("siblings"). */
    static final class RevisionInfo {
        final String commit;
        final List<String> files;

        RevisionInfo(String commit, List<String> files) {
            this.commit = commit;
            this.files = files;
        }
    }

    RevisionInfo revision(HubRepo repo, String revision) throws IOException {
        URI uri = HubUrls.api(http.settings().endpoint(), repo, "/revision/" + HubUrls.segment(revision));
        JsonNode n = getJson(HubHttp.Call.get(uri).about(new HubErrors.Subject(repo, revision, null)));
        String sha = n.path("sha").asText("");
        if (!HubCache.COMMIT.matcher(sha).matches()) {
            throw new IOException("the Hub's revision info for " + repo + " at '" + revision + "' has no commit sha");
        }
        List<String> files = new ArrayList<>();
        for (JsonNode s : n.path("siblings")) {
            files.add(s.path("rfilename").asText());
        }
        return new RevisionInfo(sha, files);
    }

    /** All entries under {@code path} ("" for the root), following the Link rel="next" pages. */
    List<RepoEntry> tree(HubRepo repo, String revision, String path, boolean recursive) throws IOException {
        String rest = "/tree/" + HubUrls.segment(revision) + (path.isEmpty() ? "" : "/" + HubUrls.path(path))
                + "?recursive=" + recursive + "&expand=false";
        URI next = HubUrls.api(http.settings().endpoint(), repo, rest);
        List<RepoEntry> out = new ArrayList<>();
        HubErrors.Subject subject = new HubErrors.Subject(repo, revision, path.isEmpty() ? null : path);
        while (next != null) {
            HttpResponse<InputStream> resp = http.send(HubHttp.Call.get(next).about(subject));
            JsonNode page;
            try (InputStream in = resp.body()) {
                page = JSON.readTree(in);
            }
            if (!page.isArray()) {
                throw new IOException("tree listing of " + repo + " at '" + revision + "' is not a JSON array");
            }
            for (JsonNode e : page) {
                boolean dir = "directory".equals(e.path("type").asText());
                JsonNode lfs = e.get("lfs");
                String sha =
                        lfs != null && lfs.hasNonNull("oid") ? lfs.get("oid").asText() : null;
                out.add(new RepoEntry(
                        e.path("path").asText(), dir, dir ? -1 : e.path("size").asLong(-1), sha));
            }
            next = nextLink(resp).map(next::resolve).orElse(null);
        }
        return out;
    }

    JsonNode getJson(HubHttp.Call call) throws IOException {
        HttpResponse<InputStream> resp = http.send(call);
        try (InputStream in = resp.body()) {
            return JSON.readTree(in);
        }
    }

    static Optional<String> nextLink(HttpResponse<?> resp) {
        for (String link : resp.headers().allValues("Link")) {
            for (String part : link.split(",")) {
                Matcher m = NEXT_LINK.matcher(part.trim());
                if (m.find()) {
                    return Optional.of(m.group(1));
                }
            }
        }
        return Optional.empty();
    }
}
