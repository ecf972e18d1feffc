package dev.finetune.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a directory so that a crashed or re-run writer never leaves something that looks complete:
 * write everything under the sibling {@code <target>._tmp-<uuid>} ({@link #dir()}), then {@link #commit()}
 * renames it to {@code <target>} and writes {@code _SUCCESS} last. "Complete" means {@code _SUCCESS} exists:
 * on object stores (gs://) a directory rename is a per-object copy, so the marker must come after it.
 *
 * <p>A complete output, or a non-empty folder this class did not write (no {@link #OWNER} marker: the user's
 * files), is replaced only when asked, and the old one is moved aside to {@code <target>._old-<uuid>} and deleted
 * only after the new one is complete. Only this class's own unfinished output is replaced without asking. One
 * writer per target.
 */
public final class AtomicOutput {
    private static final Logger LOG = LoggerFactory.getLogger(AtomicOutput.class);
    public static final String SUCCESS = "_SUCCESS";
    /**
     * Written first into every output this class writes: a target holding it is this project's own output (an
     * unfinished one when {@link #SUCCESS} is missing) and may be replaced; any other non-empty folder is the user's.
     * Hidden, so uploads and Hadoop readers skip it.
     */
    public static final String OWNER = ".finetune-output";

    static final String TMP = "._tmp-";
    static final String OLD = "._old-";

    private final FileSystem fs;
    private final Path target;
    private final Path temp;
    private final boolean overwrite;
    private boolean done;

    private AtomicOutput(FileSystem fs, Path target, Path temp, boolean overwrite) {
        this.fs = fs;
        this.target = target;
        this.temp = temp;
        this.overwrite = overwrite;
    }

    /** True when {@code dir/_SUCCESS} exists. */
    public static boolean isComplete(FileSystem fs, Path dir) throws IOException {
        return fs.exists(new Path(dir, SUCCESS));
    }

    /**
     * Starts a write of {@code target}.
     *
     * @throws OutputExistsException when target is complete and {@code overwrite} is false
     */
    public static AtomicOutput begin(FileSystem fs, Path target, boolean overwrite) throws IOException {
        Path qualified = fs.makeQualified(target);
        refuseComplete(fs, qualified, overwrite);
        refuseForeign(fs, qualified, overwrite);
        Path temp = new Path(qualified.getParent(), qualified.getName() + TMP + UUID.randomUUID());
        if (!fs.mkdirs(temp)) {
            throw new IOException("cannot create the temporary output directory " + temp);
        }
        try (FSDataOutputStream marker = fs.create(new Path(temp, OWNER), false)) {
            marker.write(
                    ("An output of finetune. Without " + SUCCESS + " it is unfinished and the next run replaces it.\n")
                            .getBytes(StandardCharsets.UTF_8));
        }
        return new AtomicOutput(fs, qualified, temp, overwrite);
    }

    private static void refuseComplete(FileSystem fs, Path target, boolean overwrite) throws IOException {
        if (!overwrite && isComplete(fs, target)) {
            throw new OutputExistsException("output " + target + " is already complete (it has " + SUCCESS
                    + "); choose another output path or pass --overwrite to replace it");
        }
    }

    /**
     * True when {@code dir} holds something and is not an output of this class (no {@link #OWNER} marker): the
     * user's files, which are replaced only when asked.
     */
    public static boolean isForeign(FileSystem fs, Path dir) throws IOException {
        if (!fs.exists(dir)) {
            return false;
        }
        if (!fs.getFileStatus(dir).isDirectory()) {
            return true;
        }
        return fs.listStatus(dir).length > 0 && !fs.exists(new Path(dir, OWNER)) && !isComplete(fs, dir);
    }

    private static void refuseForeign(FileSystem fs, Path target, boolean overwrite) throws IOException {
        if (!overwrite && isForeign(fs, target)) {
            List<String> names = new ArrayList<>();
            if (fs.getFileStatus(target).isDirectory()) {
                for (FileStatus st : fs.listStatus(target)) {
                    names.add(st.getPath().getName());
                }
            }
            Collections.sort(names);
            String shown = names.size() <= 4
                    ? String.join(", ", names)
                    : String.join(", ", names.subList(0, 4)) + ", ... " + names.size() + " entries";
            throw new OutputExistsException("output " + target + " already exists and was not written by this project"
                    + (names.isEmpty() ? " (it is a file)" : " (it holds " + shown + ")")
                    + "; choose another output path or "
                    + "pass --overwrite to replace it and everything in it");
        }
    }

    /** Where to write; becomes the target on {@link #commit()}. */
    public Path dir() {
        return temp;
    }

    public Path target() {
        return target;
    }

    /** Moves the written directory into place and marks it complete. */
    public void commit() throws IOException {
        if (done) {
            throw new IllegalStateException("output " + target + " was already committed or aborted");
        }
        refuseComplete(fs, target, overwrite);
        refuseForeign(fs, target, overwrite);
        Path old = null;
        if (fs.exists(target)) {
            if (isComplete(fs, target) || isForeign(fs, target)) {
                old = new Path(target.getParent(), target.getName() + OLD + UUID.randomUUID());
                rename(target, old);
            } else {
                // this class's unfinished output (a crashed writer's leftover) or an empty folder: safe to drop
                Path garbage = new Path(target.getParent(), target.getName() + TMP + UUID.randomUUID());
                rename(target, garbage);
                fs.delete(garbage, true);
            }
        }
        rename(temp, target);
        fs.create(new Path(target, SUCCESS), false).close();
        done = true;
        if (old != null && !fs.delete(old, true)) {
            LOG.warn("published {} but could not delete the previous output moved to {}", target, old);
        }
        LOG.info("published {}", target);
    }

    /** Deletes what was written; the target is untouched. */
    public void abort() throws IOException {
        if (!done) {
            done = true;
            fs.delete(temp, true);
        }
    }

    private void rename(Path from, Path to) throws IOException {
        if (!fs.rename(from, to)) {
            throw new IOException("could not rename " + from + " to " + to + " (does the target's parent exist and"
                    + " is it writable?)");
        }
    }

    /**
     * Deletes leftovers of crashed writers of {@code target} last modified more than {@code olderThan} ago:
     * {@code ._tmp-} directories always, {@code ._old-} ones only when the target is complete (otherwise they
     * may be the last complete copy, and are kept with a warning).
     *
     * @return how many were deleted
     */
    public static int cleanupStale(FileSystem fs, Path target, Duration olderThan) throws IOException {
        Path t = fs.makeQualified(target);
        if (!fs.exists(t.getParent())) {
            return 0;
        }
        long cutoff = System.currentTimeMillis() - olderThan.toMillis();
        boolean complete = isComplete(fs, t);
        int deleted = 0;
        for (FileStatus st : fs.listStatus(t.getParent())) {
            String name = st.getPath().getName();
            boolean tmp = name.startsWith(t.getName() + TMP);
            boolean old = name.startsWith(t.getName() + OLD);
            if ((!tmp && !old) || st.getModificationTime() > cutoff) {
                continue;
            }
            if (old && !complete) {
                LOG.warn("keeping {}: {} is not complete and this may be the last complete copy", st.getPath(), t);
                continue;
            }
            if (fs.delete(st.getPath(), true)) {
                deleted++;
            }
        }
        return deleted;
    }
}
