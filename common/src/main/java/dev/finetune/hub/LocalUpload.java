package dev.finetune.hub;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** A local file to push: its repo path, size, first 512 bytes, and lazily its sha256 / git blob sha1. */
final class LocalUpload {
    final Path file;
    final String repoPath;
    final long size;
    private String sha256;

    private LocalUpload(Path file, String repoPath, long size) {
        this.file = file;
        this.repoPath = repoPath;
        this.size = size;
    }

    /**
     * Regular files under {@code folder}, sorted. Hidden entries (a path part starting with '.') and the
     * {@code _SUCCESS} publish marker are ours, not the model's, and are not pushed.
     */
    static List<LocalUpload> scan(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IOException("cannot push " + folder + ": it is not a directory");
        }
        List<LocalUpload> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(folder, FileVisitOption.FOLLOW_LINKS)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().collect(Collectors.toList())) {
                String rel = folder.relativize(p).toString().replace('\\', '/');
                boolean hidden = false;
                for (String part : rel.split("/")) {
                    hidden |= part.startsWith(".");
                }
                if (hidden || rel.equals("_SUCCESS")) {
                    continue;
                }
                out.add(new LocalUpload(p, rel, Files.size(p)));
            }
        }
        if (out.isEmpty()) {
            throw new IOException("cannot push " + folder + ": it holds no files");
        }
        return out;
    }

    byte[] sample() throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(512);
        }
    }

    synchronized String sha256() throws IOException {
        if (sha256 == null) {
            sha256 = hash(FileTransfer.sha256Digest(), null);
        }
        return sha256;
    }

    /** git's blob id: sha1("blob <size>\0" + content), what the Hub reports as oid for regular files. */
    String gitSha1() throws IOException {
        try {
            return hash(MessageDigest.getInstance("SHA-1"), ("blob " + size + "\0").getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-1", e);
        }
    }

    private String hash(MessageDigest md, byte[] prefix) throws IOException {
        if (prefix != null) {
            md.update(prefix);
        }
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                md.update(buf, 0, n);
            }
        }
        return FileTransfer.hex(md.digest());
    }
}
