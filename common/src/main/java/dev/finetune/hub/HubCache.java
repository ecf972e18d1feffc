package dev.finetune.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The huggingface_hub cache layout, so Python tools and we share downloads:
 * {@code <root>/{models|datasets}--org--name/} with {@code blobs/<etag>}, {@code snapshots/<commit>/<path>}
 * (relative symlink to the blob, or a copy where symlinks fail) and {@code refs/<revision>} holding the commit.
 */
final class HubCache {
    static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private final Path root;
    private final boolean disableSymlinks;

    HubCache(Path root, boolean disableSymlinks) {
        this.root = root;
        this.disableSymlinks = disableSymlinks;
    }

    Path repoDir(HubRepo repo) {
        return root.resolve(repo.cacheFolderName());
    }

    Path blob(HubRepo repo, String etag) {
        return repoDir(repo).resolve("blobs").resolve(etag);
    }

    Path incomplete(HubRepo repo, String etag) {
        return repoDir(repo).resolve("blobs").resolve(etag + ".incomplete");
    }

    /** huggingface_hub's per-blob lock file, outside the repo folder. */
    Path lockFile(HubRepo repo, String etag) {
        return root.resolve(".locks").resolve(repo.cacheFolderName()).resolve(etag + ".lock");
    }

    Path snapshotDir(HubRepo repo, String commit) {
        return repoDir(repo).resolve("snapshots").resolve(commit);
    }

    Path snapshotFile(HubRepo repo, String commit, String path) {
        return snapshotDir(repo, commit).resolve(path);
    }

    /** The commit a revision points to: the revision itself when it is a commit, else refs/<revision>. */
    Optional<String> commitFor(HubRepo repo, String revision) throws IOException {
        if (COMMIT.matcher(revision).matches()) {
            return Optional.of(revision);
        }
        Path ref = repoDir(repo).resolve("refs").resolve(revision);
        if (!Files.isRegularFile(ref)) {
            return Optional.empty();
        }
        String c = new String(Files.readAllBytes(ref), StandardCharsets.UTF_8).trim();
        return COMMIT.matcher(c).matches() ? Optional.of(c) : Optional.empty();
    }

    /** Records refs/<revision> = commit (nested names like refs/convert/parquet become nested paths). */
    void writeRef(HubRepo repo, String revision, String commit) throws IOException {
        if (revision.equals(commit)) {
            return;
        }
        Path ref = repoDir(repo).resolve("refs").resolve(revision);
        Files.createDirectories(ref.getParent());
        Path tmp = ref.resolveSibling(ref.getFileName() + "." + UUID.randomUUID() + ".tmp");
        Files.write(tmp, commit.getBytes(StandardCharsets.UTF_8));
        move(tmp, ref);
    }

    Optional<Path> cachedFile(HubRepo repo, String revision, String path) throws IOException {
        Optional<String> commit = commitFor(repo, revision);
        if (commit.isPresent()) {
            Path p = snapshotFile(repo, commit.get(), path);
            if (Files.exists(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Makes snapshots/<commit>/<path> point at blobs/<etag>: a relative symlink, or a copy if that fails. */
    Path link(HubRepo repo, String commit, String path, String etag) throws IOException {
        Path target = snapshotFile(repo, commit, path);
        Files.createDirectories(target.getParent());
        Path blob = blob(repo, etag);
        if (Files.exists(target)) {
            return target;
        }
        if (!disableSymlinks) {
            try {
                Files.createSymbolicLink(target, target.getParent().relativize(blob));
                return target;
            } catch (FileAlreadyExistsException raced) {
                return target;
            } catch (UnsupportedOperationException | IOException noSymlinks) {
                // filesystems without symlinks (some FUSE mounts, Windows without privilege): copy, as huggingface_hub
            }
        }
        Path tmp = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
        move(tmp, target);
        return target;
    }

    /** Moves into place, atomically where the filesystem can. */
    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
