package dev.finetune.hub;

/** Hub repository kinds; they differ only in URL prefixes and cache folder names. */
public enum RepoType {
    MODEL("model", "models", ""),
    DATASET("dataset", "datasets", "datasets/");

    private final String name;
    private final String plural;
    private final String urlPrefix;

    RepoType(String name, String plural, String urlPrefix) {
        this.name = name;
        this.plural = plural;
        this.urlPrefix = urlPrefix;
    }

    /** "model" / "dataset", as in the create-repo API's {@code type}. */
    public String apiName() {
        return name;
    }

    /** "models" / "datasets", as in /api/{plural}/... and the cache folder {plural}--org--name. */
    public String plural() {
        return plural;
    }

    /** "" / "datasets/", as in {endpoint}/{prefix}{repo}/resolve/... */
    public String urlPrefix() {
        return urlPrefix;
    }
}
