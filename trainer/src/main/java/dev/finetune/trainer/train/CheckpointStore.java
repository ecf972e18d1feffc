package dev.finetune.trainer.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.config.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Checkpoints under {@code <output>/<project>/checkpoints/checkpoint-<step>/} on any Hadoop file system (local,
 * Drive mount, gs://). Written atomically in the Spark way: the files are built in a local folder together with
 * {@code manifest.json} (each file's size and sha256), copied to {@code .tmp-checkpoint-<step>-<uuid>/}, renamed
 * to {@code checkpoint-<step>/}, and only then the {@code _SUCCESS} marker is written. A folder without the marker
 * (a run killed while saving, or a GCS rename cut halfway) is never taken for a checkpoint and is removed by the
 * next save; {@link #fetch} checks every file against the manifest, so a checkpoint whose files changed after the
 * marker (a Drive upload that lost a file, a corrupted disk) is refused rather than loaded. The newest
 * {@code save_total_limit} complete checkpoints are kept. A folder that holds files the checkpoint writer does not
 * write is never deleted or replaced.
 */
public final class CheckpointStore {

    public static final String MARKER = "_SUCCESS";
    /** Every other file's size and sha256. */
    public static final String MANIFEST = "manifest.json";

    static final String MANIFEST_FORMAT = "finetune-checkpoint-files";
    private static final String PREFIX = dev.finetune.storage.RunLayout.CHECKPOINT_PREFIX;
    private static final String TMP_PREFIX = ".tmp-" + PREFIX;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FileSystem fs;
    private final Path root;
    private final int keep;

    public CheckpointStore(FileSystem fs, Path root, int keep) {
        this.fs = fs;
        this.root = root;
        this.keep = keep;
    }

    /** The checkpoints folder. */
    public Path root() {
        return root;
    }

    /** A checkpoint that is marked complete but whose files do not match its manifest (or cannot be read). */
    public static final class UnverifiedCheckpointException extends IOException {
        private static final long serialVersionUID = 1L;

        UnverifiedCheckpointException(String message) {
            super(message);
        }
    }

    /** Writes the folder {@code local} as checkpoint {@code step}; returns its path. */
    public Path publish(long step, java.nio.file.Path local) throws IOException {
        fs.mkdirs(root);
        Path tmp = new Path(root, TMP_PREFIX + step + "-" + UUID.randomUUID());
        Path target = new Path(root, PREFIX + step);
        if (fs.exists(target) && !ownedByWriter(target)) {
            throw new ConfigException(target + " holds files the trainer did not write (" + foreignFiles(target)
                    + "); move them out of " + root + " or train under another project_name");
        }
        try {
            Files.write(local.resolve(MANIFEST), manifestOf(local));
            fs.mkdirs(tmp);
            try (Stream<java.nio.file.Path> files = Files.list(local)) {
                for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) files::iterator) {
                    fs.copyFromLocalFile(
                            false,
                            true,
                            new Path(f.toUri()),
                            new Path(tmp, f.getFileName().toString()));
                }
            }
            if (fs.exists(target)) {
                fs.delete(target, true); // this writer's own: an unmarked leftover, a corrupt one, or a re-save
            }
            if (!fs.rename(tmp, target)) {
                throw new IOException("could not rename " + tmp + " to " + target);
            }
            fs.create(new Path(target, MARKER), true).close();
        } catch (IOException | UncheckedIOException e) {
            fs.delete(tmp, true);
            throw new IOException("writing checkpoint " + step + " to " + target + " failed: " + e.getMessage(), e);
        }
        prune();
        return target;
    }

    /** Complete checkpoints, oldest first. */
    public List<Path> complete() throws IOException {
        List<Path> out = new ArrayList<>();
        if (!fs.exists(root)) {
            return out;
        }
        for (FileStatus st : fs.listStatus(root)) {
            String name = st.getPath().getName();
            if (st.isDirectory()
                    && name.startsWith(PREFIX)
                    && stepOf(name) >= 0
                    && fs.exists(new Path(st.getPath(), MARKER))) {
                out.add(st.getPath());
            }
        }
        out.sort(Comparator.comparingLong(p -> stepOf(p.getName())));
        return out;
    }

    /** The newest complete checkpoint, or null. */
    public Path latest() throws IOException {
        List<Path> all = complete();
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    /**
     * Copies checkpoint {@code dir} into a new folder under {@code localParent} (the readers take java.nio paths)
     * and checks every file against the checkpoint's manifest.
     *
     * @throws UnverifiedCheckpointException naming {@code dir} and the first file that does not verify
     */
    public java.nio.file.Path fetch(Path dir, java.nio.file.Path localParent) throws IOException {
        if (!fs.exists(dir)) {
            throw new UnverifiedCheckpointException(dir + " does not exist");
        }
        if (!fs.exists(new Path(dir, MARKER))) {
            throw new UnverifiedCheckpointException(
                    dir + " has no " + MARKER + " marker: it was not completely " + "written");
        }
        java.nio.file.Path local = Files.createTempDirectory(localParent, "resume-");
        try {
            for (FileStatus st : fs.listStatus(dir)) {
                if (st.isFile()) {
                    fs.copyToLocalFile(
                            false,
                            st.getPath(),
                            new Path(local.resolve(st.getPath().getName()).toUri()),
                            true);
                }
            }
        } catch (IOException e) {
            throw new UnverifiedCheckpointException(dir + ": cannot be read (" + e.getMessage() + ")");
        }
        verify(dir, local);
        return local;
    }

    /** The local copy {@code local} of {@code dir} matches the manifest written with it. */
    static void verify(Path dir, java.nio.file.Path local) throws IOException {
        java.nio.file.Path manifest = local.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            throw new UnverifiedCheckpointException(
                    dir + ": no " + MANIFEST + " (the list of its files' sizes and " + "sha256)");
        }
        JsonNode files;
        try {
            JsonNode root = JSON.readTree(manifest.toFile());
            files = root.path("files");
            if (!MANIFEST_FORMAT.equals(root.path("format").asText()) || !files.isObject()) {
                throw new IOException("not a " + MANIFEST_FORMAT + " file");
            }
        } catch (IOException e) {
            throw new UnverifiedCheckpointException(dir + "/" + MANIFEST + " is unreadable: " + e.getMessage());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            java.nio.file.Path f = local.resolve(e.getKey());
            if (!Files.isRegularFile(f)) {
                throw new UnverifiedCheckpointException(dir + "/" + e.getKey() + " is missing");
            }
            long bytes = Files.size(f);
            if (bytes != e.getValue().path("bytes").asLong(-1)) {
                throw new UnverifiedCheckpointException(dir + "/" + e.getKey() + " has " + bytes + " bytes, its "
                        + "manifest says " + e.getValue().path("bytes").asLong(-1));
            }
            if (!sha256(f).equals(e.getValue().path("sha256").asText())) {
                throw new UnverifiedCheckpointException(dir + "/" + e.getKey() + ": sha256 differs from its manifest");
            }
        }
    }

    private static byte[] manifestOf(java.nio.file.Path local) throws IOException {
        Map<String, Object> files = new TreeMap<>();
        try (Stream<java.nio.file.Path> s = Files.list(local)) {
            for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) s::iterator) {
                String name = f.getFileName().toString();
                if (!name.equals(MANIFEST) && !name.equals(MARKER)) {
                    Map<String, Object> entry = new TreeMap<>();
                    entry.put("bytes", Files.size(f));
                    entry.put("sha256", sha256(f));
                    files.put(name, entry);
                }
            }
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("format", MANIFEST_FORMAT);
        root.set("files", JSON.valueToTree(files));
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    }

    static String sha256(java.nio.file.Path f) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(f)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        StringBuilder sb = new StringBuilder();
        for (byte b : md.digest()) {
            sb.append(String.format("%02x", b));
        }
        return sb.toString();
    }

    /** Steps of {@code checkpoint-<step>}, or -1 for other names. */
    static long stepOf(String name) {
        try {
            return name.startsWith(PREFIX) ? Long.parseLong(name.substring(PREFIX.length())) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Names the checkpoint writer puts into a checkpoint folder. */
    static boolean writerFile(String name) {
        return name.equals(MARKER)
                || name.equals(MANIFEST)
                || name.equals(TrainState.FILE)
                || name.equals(OptimizerStateFile.FILE)
                || name.startsWith("adapter_");
    }

    /** True when every entry of {@code dir} is a file the checkpoint writer writes (an empty folder too). */
    private boolean ownedByWriter(Path dir) throws IOException {
        return foreignFiles(dir).isEmpty();
    }

    /** Entries of {@code dir} that are neither writer files nor listed in the folder's own manifest. */
    private List<String> foreignFiles(Path dir) throws IOException {
        List<String> listed = new ArrayList<>();
        Path manifest = new Path(dir, MANIFEST);
        if (fs.exists(manifest)) {
            try (InputStream in = fs.open(manifest)) {
                JsonNode root = JSON.readTree(in);
                if (MANIFEST_FORMAT.equals(root.path("format").asText())) {
                    root.path("files").fieldNames().forEachRemaining(listed::add);
                }
            } catch (IOException e) {
                // an unreadable manifest vouches for nothing
            }
        }
        List<String> foreign = new ArrayList<>();
        for (FileStatus st : fs.listStatus(dir)) {
            String name = st.getPath().getName();
            if (!st.isFile() || !(writerFile(name) || listed.contains(name))) {
                foreign.add(name);
            }
        }
        return foreign;
    }

    private void prune() throws IOException {
        for (FileStatus st : fs.listStatus(root)) {
            String name = st.getPath().getName();
            boolean unmarked = name.startsWith(PREFIX) && !fs.exists(new Path(st.getPath(), MARKER));
            if (name.startsWith(TMP_PREFIX) || (unmarked && st.isDirectory() && ownedByWriter(st.getPath()))) {
                fs.delete(st.getPath(), true);
            }
        }
        if (keep > 0) {
            List<Path> all = complete();
            for (int i = 0; i < all.size() - keep; i++) {
                if (ownedByWriter(all.get(i))) {
                    fs.delete(all.get(i), true);
                }
            }
        }
    }
}
