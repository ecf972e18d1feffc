package dev.finetune.hub;

import dev.finetune.hub.HubAccessException.Kind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns "dataset X, config C, split S" into parquet (or json) files (docs/formats.md).
 *
 * <p>First choice is the parquet export on {@code refs/convert/parquet}, read through the tree API because,
 * unlike the {@code /api/datasets/X/parquet} listing, it gives each file's size and sha256 and shows
 * {@code partial-} split directories as they are. When the dataset has no export (RevisionNotFound), or a
 * non-default revision is asked for, the repo's own parquet/jsonl/json files are used, with the split inferred
 * from file and directory names the way the {@code datasets} library does.
 */
final class DatasetResolver {
    static final String CONVERT_REF = "refs/convert/parquet";
    private static final Pattern CONVERTED = Pattern.compile("([^/]+)/([^/]+)/(\\d+)\\.parquet");
    private static final Pattern PART_SUFFIX = Pattern.compile("(.+)-part(\\d+)");
    private static final String PARTIAL_PREFIX = "partial-";
    private static final Map<String, String> SPLIT_WORDS = new LinkedHashMap<>();

    static {
        for (String w : new String[] {"train", "training"}) {
            SPLIT_WORDS.put(w, "train");
        }
        for (String w : new String[] {"validation", "valid", "val", "dev"}) {
            SPLIT_WORDS.put(w, "validation");
        }
        for (String w : new String[] {"test", "testing", "eval", "evaluation"}) {
            SPLIT_WORDS.put(w, "test");
        }
    }

    private final RepoApi api;
    private final HubSettings settings;

    DatasetResolver(RepoApi api, HubSettings settings) {
        this.api = api;
        this.settings = settings;
    }

    /**
     * @param revision null or "main" to allow the parquet export; any other value reads the repo files there
     * @param config null to pick "default" or the only config
     * @param split null for all splits
     */
    DatasetFiles resolve(HubRepo repo, String revision, String config, String split) throws IOException {
        if (settings.offline()) {
            throw new HubAccessException(
                    Kind.OFFLINE_NOT_CACHED,
                    0,
                    "HF_HUB_OFFLINE is set, but listing the files" + " of " + repo
                            + " needs the Hub; unset HF_HUB_OFFLINE or point the job at local files");
        }
        String rev = revision == null ? "main" : revision;
        if (rev.equals("main")) {
            RepoApi.RevisionInfo conv = null;
            try {
                conv = api.revision(repo, CONVERT_REF);
            } catch (HubAccessException e) {
                if (e.kind() != Kind.REVISION_NOT_FOUND) {
                    throw e;
                }
            }
            if (conv != null) {
                return fromConversion(repo, conv.commit, config, split);
            }
        }
        return fromRepoFiles(repo, rev, config, split);
    }

    private DatasetFiles fromConversion(HubRepo repo, String commit, String config, String split) throws IOException {
        List<RepoEntry> entries = api.tree(repo, commit, "", true);
        Map<String, List<Converted>> byConfig = new LinkedHashMap<>();
        for (RepoEntry e : entries) {
            Matcher m = CONVERTED.matcher(e.path());
            if (e.isDirectory() || !m.matches()) {
                continue;
            }
            String dir = m.group(2);
            boolean partial = dir.startsWith(PARTIAL_PREFIX);
            String s = partial ? dir.substring(PARTIAL_PREFIX.length()) : dir;
            int part = 0;
            Matcher pm = PART_SUFFIX.matcher(s);
            if (pm.matches()) {
                s = pm.group(1);
                part = Integer.parseInt(pm.group(2));
            }
            byConfig.computeIfAbsent(m.group(1), k -> new ArrayList<>())
                    .add(new Converted(e, s, partial, part, Integer.parseInt(m.group(3))));
        }
        String chosen = chooseConfig(repo, config, byConfig.keySet());
        List<Converted> list = filterSplit(repo, chosen, split, byConfig.get(chosen));
        list.sort(Comparator.comparing((Converted c) -> c.split)
                .thenComparingInt(c -> c.part)
                .thenComparingInt(c -> c.index));
        boolean partial = false;
        List<RemoteFile> files = new ArrayList<>();
        for (Converted c : list) {
            partial |= c.partial;
            files.add(new RemoteFile(repo, commit, c.entry.path(), c.entry.size(), c.entry.sha256(), chosen, c.split));
        }
        return new DatasetFiles(
                repo,
                chosen,
                commit,
                DatasetFiles.Source.PARQUET_CONVERSION,
                DatasetFiles.Format.PARQUET,
                partial,
                files);
    }

    private DatasetFiles fromRepoFiles(HubRepo repo, String revision, String config, String split) throws IOException {
        String commit = api.revision(repo, revision).commit;
        String under = config == null || config.equals("default") ? "" : config;
        List<RepoEntry> entries;
        try {
            entries = api.tree(repo, commit, under, true);
        } catch (HubAccessException e) {
            if (!under.isEmpty() && e.kind() == Kind.ENTRY_NOT_FOUND) {
                throw new HubAccessException(
                        Kind.ENTRY_NOT_FOUND,
                        e.status(),
                        repo + " has no parquet export and no" + " directory '" + config + "' for config '" + config
                                + "'; omit the config or name a directory",
                        e);
            }
            throw e;
        }
        List<RepoEntry> parquet = new ArrayList<>();
        List<RepoEntry> jsonl = new ArrayList<>();
        List<RepoEntry> json = new ArrayList<>();
        for (RepoEntry e : entries) {
            String p = e.path().toLowerCase(Locale.ROOT);
            if (e.isDirectory() || hidden(e.path())) {
                continue;
            }
            if (p.endsWith(".parquet")) {
                parquet.add(e);
            } else if (p.endsWith(".jsonl")) {
                jsonl.add(e);
            } else if (p.endsWith(".json") && !p.endsWith("dataset_info.json") && !p.endsWith("dataset_infos.json")) {
                json.add(e);
            }
        }
        List<RepoEntry> chosen = !parquet.isEmpty() ? parquet : !jsonl.isEmpty() ? jsonl : json;
        if (chosen.isEmpty()) {
            throw new HubAccessException(
                    Kind.ENTRY_NOT_FOUND,
                    404,
                    repo + " at revision '" + revision + "' has no"
                            + " parquet export and no .parquet, .jsonl or .json data files"
                            + (under.isEmpty() ? "" : " under '" + under + "/'")
                            + "; datasets built by a loading script are not supported");
        }
        String configName = config == null ? "default" : config;
        List<Converted> list = new ArrayList<>();
        for (RepoEntry e : chosen) {
            list.add(new Converted(e, inferSplit(e.path()), false, 0, 0));
        }
        list = filterSplit(repo, configName, split, list);
        list.sort(Comparator.comparing((Converted c) -> c.split).thenComparing(c -> c.entry.path()));
        List<RemoteFile> files = new ArrayList<>();
        for (Converted c : list) {
            files.add(new RemoteFile(
                    repo, commit, c.entry.path(), c.entry.size(), c.entry.sha256(), configName, c.split));
        }
        return new DatasetFiles(
                repo,
                configName,
                commit,
                DatasetFiles.Source.REPO_FILES,
                parquet.isEmpty() ? DatasetFiles.Format.JSON : DatasetFiles.Format.PARQUET,
                false,
                files);
    }

    private static boolean hidden(String path) {
        for (String part : path.split("/")) {
            if (part.startsWith(".") || part.startsWith("_")) {
                return true;
            }
        }
        return false;
    }

    /** The split named by the file name, else by the nearest directory, else "train" (as datasets does). */
    static String inferSplit(String path) {
        String[] parts = path.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
            String name = i == parts.length - 1 ? stripExtension(parts[i]) : parts[i];
            for (String token : name.toLowerCase(Locale.ROOT).split("[^a-z0-9]+")) {
                String s = SPLIT_WORDS.get(token);
                if (s != null) {
                    return s;
                }
            }
        }
        return "train";
    }

    private static String stripExtension(String name) {
        int dot = name.indexOf('.');
        return dot < 0 ? name : name.substring(0, dot);
    }

    private static String chooseConfig(HubRepo repo, String config, java.util.Set<String> configs)
            throws HubAccessException {
        if (configs.isEmpty()) {
            throw new HubAccessException(Kind.ENTRY_NOT_FOUND, 404, repo + " has a parquet export with no files");
        }
        if (config != null) {
            if (!configs.contains(config)) {
                throw new HubAccessException(
                        Kind.ENTRY_NOT_FOUND,
                        404,
                        repo + " has no config '" + config + "'; available configs: " + new TreeSet<>(configs));
            }
            return config;
        }
        if (configs.contains("default")) {
            return "default";
        }
        if (configs.size() == 1) {
            return configs.iterator().next();
        }
        throw new HubAccessException(
                Kind.BAD_REQUEST,
                0,
                repo + " has several configs " + new TreeSet<>(configs)
                        + "; choose one with the dataset config option");
    }

    private static List<Converted> filterSplit(HubRepo repo, String config, String split, List<Converted> all)
            throws HubAccessException {
        if (split == null) {
            return new ArrayList<>(all);
        }
        List<Converted> out = new ArrayList<>();
        TreeSet<String> available = new TreeSet<>();
        for (Converted c : all) {
            available.add(c.split);
            if (c.split.equals(split)) {
                out.add(c);
            }
        }
        if (out.isEmpty()) {
            throw new HubAccessException(
                    Kind.ENTRY_NOT_FOUND,
                    404,
                    repo + " config '" + config + "' has no split '" + split + "'; available splits: " + available);
        }
        return out;
    }

    /** A listed file with its parsed split, partial flag and ordering keys. */
    private static final class Converted {
        final RepoEntry entry;
        final String split;
        final boolean partial;
        final int part;
        final int index;

        Converted(RepoEntry entry, String split, boolean partial, int part, int index) {
            this.entry = entry;
            this.split = split;
            this.partial = partial;
            this.part = part;
            this.index = index;
        }
    }
}
