package dev.finetune.trainer.train;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Checkpoints under {@code <output>/<project>/checkpoints/checkpoint-<step>/} on any Hadoop file system (local,
 * Drive mount, gs://). Written atomically in the Spark way: the files are built in a local folder, copied to
 * {@code .tmp-checkpoint-<step>-<uuid>/}, renamed to {@code checkpoint-<step>/}, and only then the
 * {@code _SUCCESS} marker is written. A folder without the marker (a run killed while saving, or a GCS rename
 * cut halfway) is never taken for a checkpoint and is removed by the next save. The newest
 * {@code save_total_limit} complete checkpoints are kept.
 */
public final class CheckpointStore {

    public static final String MARKER = "_SUCCESS";
    private static final String PREFIX = "checkpoint-";
    private static final String TMP_PREFIX = ".tmp-checkpoint-";

    private final FileSystem fs;
    private final Path root;
    private final int keep;

    public CheckpointStore(FileSystem fs, Path root, int keep) {
        this.fs = fs;
        this.root = root;
        this.keep = keep;
    }

    /** Writes the folder {@code local} as checkpoint {@code step}; returns its path. */
    public Path publish(long step, java.nio.file.Path local) throws IOException {
        fs.mkdirs(root);
        Path tmp = new Path(root, TMP_PREFIX + step + "-" + UUID.randomUUID());
        Path target = new Path(root, PREFIX + step);
        try {
            fs.mkdirs(tmp);
            try (Stream<java.nio.file.Path> files = Files.list(local)) {
                for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) files::iterator) {
                    fs.copyFromLocalFile(false, true, new Path(f.toUri()), new Path(tmp, f.getFileName().toString()));
                }
            }
            if (fs.exists(target)) {
                fs.delete(target, true); // a stale, unmarked folder of the same step (or a re-save after resume)
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
            if (st.isDirectory() && name.startsWith(PREFIX) && stepOf(name) >= 0
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

    /** Copies checkpoint {@code dir} into a local folder (the readers take java.nio paths). */
    public java.nio.file.Path fetch(Path dir, java.nio.file.Path localParent) throws IOException {
        if (!fs.exists(new Path(dir, MARKER))) {
            throw new IOException(dir + " has no " + MARKER + " marker: it was not completely written; resume from "
                + "an earlier checkpoint (or resume=auto picks the newest complete one)");
        }
        java.nio.file.Path local = Files.createTempDirectory(localParent, "resume-");
        for (FileStatus st : fs.listStatus(dir)) {
            if (st.isFile()) {
                fs.copyToLocalFile(false, st.getPath(), new Path(local.resolve(st.getPath().getName()).toUri()), true);
            }
        }
        return local;
    }

    /** Steps of {@code checkpoint-<step>}, or -1 for other names. */
    static long stepOf(String name) {
        try {
            return name.startsWith(PREFIX) ? Long.parseLong(name.substring(PREFIX.length())) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void prune() throws IOException {
        for (FileStatus st : fs.listStatus(root)) {
            String name = st.getPath().getName();
            boolean unmarked = name.startsWith(PREFIX) && !fs.exists(new Path(st.getPath(), MARKER));
            if (name.startsWith(TMP_PREFIX) || unmarked) {
                fs.delete(st.getPath(), true);
            }
        }
        if (keep > 0) {
            List<Path> all = complete();
            for (int i = 0; i < all.size() - keep; i++) {
                fs.delete(all.get(i), true);
            }
        }
    }
}
