package dev.finetune.hub;

import java.util.Collections;
import java.util.List;

/** What a push did: the commit the Hub created and which files it carried. */
public final class CommitResult {
    private final String commitUrl;
    private final String commitOid;
    private final List<String> uploaded;
    private final List<String> unchanged;

    CommitResult(String commitUrl, String commitOid, List<String> uploaded, List<String> unchanged) {
        this.commitUrl = commitUrl;
        this.commitOid = commitOid;
        this.uploaded = Collections.unmodifiableList(uploaded);
        this.unchanged = Collections.unmodifiableList(unchanged);
    }

    public String commitUrl() {
        return commitUrl;
    }

    /** The new commit's sha, or null when nothing changed and no commit was made. */
    public String commitOid() {
        return commitOid;
    }

    /** Repo paths sent in the commit. */
    public List<String> uploaded() {
        return uploaded;
    }

    /** Repo paths skipped because the Hub already has identical content. */
    public List<String> unchanged() {
        return unchanged;
    }

    @Override
    public String toString() {
        return "CommitResult{" + commitUrl + ", uploaded=" + uploaded + ", unchanged=" + unchanged + "}";
    }
}
