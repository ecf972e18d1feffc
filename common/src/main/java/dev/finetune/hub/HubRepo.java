package dev.finetune.hub;

import java.io.Serializable;
import java.util.regex.Pattern;

/** A repository on the Hub: its type and its id ({@code namespace/name}, or a bare legacy {@code name}). */
public final class HubRepo implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Pattern ID = Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*");
    private final RepoType type;
    private final String id;

    private HubRepo(RepoType type, String id) {
        this.type = type;
        this.id = id;
    }

    public static HubRepo model(String id) {
        return of(RepoType.MODEL, id);
    }

    public static HubRepo dataset(String id) {
        return of(RepoType.DATASET, id);
    }

    public static HubRepo of(RepoType type, String id) {
        if (id == null || !ID.matcher(id).matches() || id.contains("..") || id.contains("--")) {
            throw new IllegalArgumentException("'" + id + "' is not a Hub " + type.apiName()
                    + " id; expected namespace/name such as Qwen/Qwen3-0.6B");
        }
        return new HubRepo(type, id);
    }

    public RepoType type() {
        return type;
    }

    public String id() {
        return id;
    }

    /** Namespace (user/org), or null for a legacy un-namespaced id. */
    public String namespace() {
        int i = id.indexOf('/');
        return i < 0 ? null : id.substring(0, i);
    }

    public String name() {
        return id.substring(id.indexOf('/') + 1);
    }

    /** huggingface_hub's cache folder name: {@code models--org--name}. */
    public String cacheFolderName() {
        return type.plural() + "--" + id.replace("/", "--");
    }

    /** The repo's web page, e.g. https://huggingface.co/datasets/org/name. */
    public String webUrl(String endpoint) {
        return endpoint + "/" + type.urlPrefix() + id;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HubRepo && ((HubRepo) o).type == type && ((HubRepo) o).id.equals(id);
    }

    @Override
    public int hashCode() {
        return type.hashCode() * 31 + id.hashCode();
    }

    @Override
    public String toString() {
        return type.apiName() + " " + id;
    }
}
