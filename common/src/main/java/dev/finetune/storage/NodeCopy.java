package dev.finetune.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A folder on a remote Hadoop FileSystem (gs://, hdfs://, any scheme but local disk) copied once per machine to
 * local disk, for what has to be a local path: libtorch for DJL, base model weights for memory-mapping, tokenizer
 * files. The copy lives under {@link #root} in {@code <name>-<hash of the URI and file filter>/}; a lock file makes
 * the processes of one machine (two ranks, an executor and its child) wait for one copy instead of making two, and
 * a {@code <folder>.complete} list of every file's size beside it, written last, marks a finished copy (beside, not
 * inside: DJL loads every file in a libtorch folder as a library). A finished copy whose sizes
 * still match the remote listing is used as it is; anything else is copied again.
 */
public final class NodeCopy {
    /** Environment variable naming the local folder for node copies. */
    public static final String ROOT_ENV = "FINETUNE_NODE_CACHE";

    static final String COMPLETE = ".complete";

    private NodeCopy() {}

    /** True for a location on a FileSystem other than local disk (a scheme other than file:). */
    public static boolean isRemote(String location) {
        int colon = location.indexOf("://");
        if (colon <= 0) {
            return false;
        }
        String scheme = location.substring(0, colon);
        return scheme.matches("[A-Za-z][A-Za-z0-9+.-]*") && !scheme.equalsIgnoreCase("file");
    }

    /** $FINETUNE_NODE_CACHE, else {@code <java.io.tmpdir>/finetune-node-cache}: local disk, kept between runs. */
    public static java.nio.file.Path root() {
        return root(System.getenv());
    }

    static java.nio.file.Path root(Map<String, String> env) {
        String dir = env.get(ROOT_ENV);
        return dir != null && !dir.trim().isEmpty()
                ? java.nio.file.Paths.get(dir.trim())
                : java.nio.file.Paths.get(System.getProperty("java.io.tmpdir"), "finetune-node-cache");
    }

    /**
     * The local copy of folder {@code remote} (all its files, sub-folders included), made now if this machine has
     * none yet.
     */
    public static java.nio.file.Path folder(String remote, Configuration conf, java.nio.file.Path root)
            throws IOException {
        return copy(remote, null, conf, root);
    }

    /**
     * The local copy of the files named {@code names} directly in folder {@code remote}; names that do not exist
     * there are skipped, {@code required} ones must exist.
     */
    public static java.nio.file.Path files(
            String remote,
            Collection<String> names,
            Collection<String> required,
            Configuration conf,
            java.nio.file.Path root)
            throws IOException {
        java.nio.file.Path local = copy(remote, new ArrayList<>(names), conf, root);
        for (String r : required) {
            if (!Files.isRegularFile(local.resolve(r))) {
                throw new IOException(remote + " has no " + r);
            }
        }
        return local;
    }

    // one copier per JVM at a time (the file lock covers other processes; a JVM cannot lock a file twice)
    private static synchronized java.nio.file.Path copy(
            String remote, List<String> only, Configuration conf, java.nio.file.Path root) throws IOException {
        Path src = Storage.path(remote.replaceAll("/+$", ""));
        FileSystem fs = Storage.fileSystem(src, conf);
        if (!fs.exists(src) || !fs.getFileStatus(src).isDirectory()) {
            throw new IOException(remote + " is not a folder");
        }
        Map<String, Long> listing = listing(fs, src, only);
        String key = src + (only == null ? "" : "|" + String.join(",", only));
        java.nio.file.Path dest =
                root.resolve(safeName(src.getName()) + "-" + sha256(key).substring(0, 16));
        Files.createDirectories(root);
        java.nio.file.Path lock = root.resolve(dest.getFileName() + ".lock");
        try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock ignored = ch.lock()) {
            java.nio.file.Path marker = root.resolve(dest.getFileName() + COMPLETE);
            if (listing.equals(readComplete(marker, dest))) {
                return dest;
            }
            java.nio.file.Path tmp = root.resolve(dest.getFileName() + ".incomplete");
            deleteTree(tmp);
            Files.createDirectories(tmp);
            long bytes = 0;
            for (Map.Entry<String, Long> e : listing.entrySet()) {
                java.nio.file.Path target = tmp.resolve(e.getKey());
                Files.createDirectories(target.getParent());
                try (InputStream in = fs.open(new Path(src, e.getKey()))) {
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
                if (Files.size(target) != e.getValue()) {
                    throw new IOException("copy of " + new Path(src, e.getKey()) + " has " + Files.size(target)
                            + " bytes, the source " + e.getValue());
                }
                bytes += e.getValue();
            }
            Files.deleteIfExists(marker);
            deleteTree(dest);
            Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE);
            Files.write(marker, completeText(listing).getBytes(StandardCharsets.UTF_8));
            System.err.printf("node copy: %s -> %s (%d files, %,d bytes)%n", src, dest, listing.size(), bytes);
            return dest;
        }
    }

    /** Relative path → size of every file under {@code dir} (or of the named files directly in it). */
    private static Map<String, Long> listing(FileSystem fs, Path dir, List<String> only) throws IOException {
        Map<String, Long> out = new TreeMap<>();
        if (only != null) {
            for (String name : only) {
                Path p = new Path(dir, name);
                if (fs.exists(p) && fs.getFileStatus(p).isFile()) {
                    out.put(name, fs.getFileStatus(p).getLen());
                }
            }
            return out;
        }
        walk(fs, dir, "", out);
        if (out.isEmpty()) {
            throw new IOException(dir + " is an empty folder");
        }
        return out;
    }

    private static void walk(FileSystem fs, Path dir, String prefix, Map<String, Long> out) throws IOException {
        for (FileStatus s : fs.listStatus(dir)) {
            String name = s.getPath().getName();
            if (name.endsWith(".crc") || name.startsWith("_")) {
                continue; // Hadoop's checksum side files and markers such as _SUCCESS are not part of the folder
            }
            if (s.isDirectory()) {
                walk(fs, s.getPath(), prefix + name + "/", out);
            } else {
                out.put(prefix + name, s.getLen());
            }
        }
    }

    private static String completeText(Map<String, Long> listing) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Long> e : listing.entrySet()) {
            sb.append(e.getValue()).append('\t').append(e.getKey()).append('\n');
        }
        return sb.toString();
    }

    private static Map<String, Long> readComplete(java.nio.file.Path marker, java.nio.file.Path dest)
            throws IOException {
        if (!Files.isRegularFile(marker)) {
            return Collections.emptyMap();
        }
        Map<String, Long> out = new TreeMap<>();
        for (String line : Files.readAllLines(marker, StandardCharsets.UTF_8)) {
            int tab = line.indexOf('\t');
            if (tab > 0) {
                out.put(line.substring(tab + 1), Long.parseLong(line.substring(0, tab)));
            }
        }
        for (Map.Entry<String, Long> e : out.entrySet()) {
            java.nio.file.Path f = dest.resolve(e.getKey());
            if (!Files.isRegularFile(f) || Files.size(f) != e.getValue()) {
                return Collections.emptyMap();
            }
        }
        return out;
    }

    private static void deleteTree(java.nio.file.Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<java.nio.file.Path> s = Files.walk(dir)) {
            List<java.nio.file.Path> all = new ArrayList<>();
            s.forEach(all::add);
            Collections.reverse(all);
            for (java.nio.file.Path p : all) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String safeName(String name) {
        String s = name.replaceAll("[^A-Za-z0-9._-]", "_");
        return s.isEmpty() ? "root" : s;
    }

    private static String sha256(String s) {
        try {
            StringBuilder sb = new StringBuilder();
            for (byte b : MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8))) {
                sb.append(String.format("%02x", b));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
