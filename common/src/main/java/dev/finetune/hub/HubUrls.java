package dev.finetune.hub;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** URL shapes of the Hub (tree listing, resolve). Revisions are encoded as one segment: refs%2Fconvert%2Fparquet. */
final class HubUrls {
    private HubUrls() {}

    /** Percent-encodes with no safe characters, as huggingface_hub's quote(x, safe=""). */
    static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("%7E", "~");
    }

    /** Encodes each '/'-separated part, keeping the slashes. */
    static String path(String p) {
        StringBuilder b = new StringBuilder();
        for (String part : p.split("/", -1)) {
            if (b.length() > 0) {
                b.append('/');
            }
            b.append(segment(part));
        }
        return b.toString();
    }

    static URI resolve(String endpoint, HubRepo repo, String revision, String filePath) {
        return URI.create(endpoint + "/" + repo.type().urlPrefix() + repo.id() + "/resolve/" + segment(revision) + "/"
                + path(filePath));
    }

    static URI api(String endpoint, HubRepo repo, String rest) {
        return URI.create(endpoint + "/api/" + repo.type().plural() + "/" + repo.id() + rest);
    }
}
