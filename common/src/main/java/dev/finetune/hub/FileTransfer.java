package dev.finetune.hub;

import dev.finetune.hub.HubAccessException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams one file with resume: a dropped connection is continued with {@code Range: bytes=<have>-}
 * (a 206 continues; a 200 means the range was ignored, so the stream restarts), then the byte count and, when
 * known, the sha256 are verified. Resume attempts reset whenever bytes arrive, as huggingface_hub's http_get.
 */
final class FileTransfer {
    private static final Logger LOG = LoggerFactory.getLogger(FileTransfer.class);
    private static final long REPORT_EVERY = 512L << 20;
    private final HubHttp http;

    FileTransfer(HubHttp http) {
        this.http = http;
    }

    /** Where bytes go; a file can be truncated and restarted, a stream can only be appended to. */
    private interface Sink {
        void write(byte[] b, int len) throws IOException;

        /** Range ignored by the server: start over. Returns how many leading bytes of the new body to skip. */
        long restart() throws IOException;
    }

    /** Downloads to {@code out}; returns the number of bytes written. */
    long toStream(URI url, HubErrors.Subject subject, long expectedSize, String sha256, OutputStream out)
            throws IOException {
        final long[] written = {0};
        Sink sink = new Sink() {
            @Override
            public void write(byte[] b, int len) throws IOException {
                out.write(b, 0, len);
                written[0] += len;
            }

            @Override
            public long restart() {
                return written[0]; // a stream cannot be rewound: skip what it already holds
            }
        };
        return run(url, subject, expectedSize, sha256, sink, 0, digest(sha256));
    }

    /**
     * Downloads to {@code target} through {@code <target>.incomplete}, resuming a partial file left by an earlier
     * attempt or process, and moves it into place only when complete and verified.
     */
    void toFile(URI url, HubErrors.Subject subject, long expectedSize, String sha256, Path target, Path incomplete)
            throws IOException {
        Files.createDirectories(incomplete.toAbsolutePath().getParent());
        MessageDigest md = digest(sha256);
        try (FileChannel ch = FileChannel.open(
                incomplete, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            long have = ch.size();
            if (expectedSize >= 0 && have > expectedSize) {
                ch.truncate(0);
                have = 0;
            }
            if (md != null && have > 0) {
                hashExisting(ch, have, md);
            }
            ch.position(have);
            if (have > 0) {
                LOG.info("resuming {} at byte {}", subject.describe(), have);
            }
            Sink sink = new Sink() {
                @Override
                public void write(byte[] b, int len) throws IOException {
                    ByteBuffer buf = ByteBuffer.wrap(b, 0, len);
                    while (buf.hasRemaining()) {
                        ch.write(buf);
                    }
                }

                @Override
                public long restart() throws IOException {
                    ch.truncate(0);
                    ch.position(0);
                    if (md != null) {
                        md.reset();
                    }
                    return 0;
                }
            };
            run(url, subject, expectedSize, sha256, sink, have, md);
            ch.force(true);
        }
        HubCache.move(incomplete, target);
    }

    private long run(
            URI url,
            HubErrors.Subject subject,
            long expectedSize,
            String sha256,
            Sink sink,
            long start,
            MessageDigest md)
            throws IOException {
        long have = start;
        int failures = 0;
        int maxFailures = http.settings().retry().maxAttempts();
        byte[] buf = new byte[1 << 16];
        long nextReport = have + REPORT_EVERY;
        while (expectedSize < 0 || have < expectedSize) {
            // Always ranged, with identity encoding: the CDN ignores Range when gzip is offered, and has refused
            // range-less GETs of very large files.
            HubHttp.Call call = HubHttp.Call.get(url)
                    .about(subject)
                    .header("Accept-Encoding", "identity")
                    .header("Range", "bytes=" + have + "-");
            HttpResponse<InputStream> resp;
            try {
                resp = http.send(call);
            } catch (HubAccessException e) {
                if (e.status() == 416 && expectedSize < 0) {
                    break; // asked at or past the end of a file of unknown size: it is complete
                }
                throw e;
            }
            long skip = 0;
            if (have > 0 && resp.statusCode() == 200) {
                LOG.info("server ignored Range for {}; restarting the stream", subject.describe());
                skip = sink.restart();
                have = 0;
            } else if (resp.statusCode() == 206) {
                long begin = contentRangeStart(resp);
                if (begin != have) {
                    HubHttp.drain(resp);
                    throw new HubAccessException(
                            Kind.INTEGRITY,
                            206,
                            "asked for bytes " + have + "- of " + subject.describe()
                                    + " but the server sent a range starting at " + begin);
                }
            }
            boolean progressed = false;
            try (InputStream in = resp.body()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    int off = 0;
                    if (skip > 0) {
                        int s = (int) Math.min(skip, n);
                        skip -= s;
                        off = s;
                        have += s;
                    }
                    if (n - off > 0) {
                        byte[] chunk = off == 0 ? buf : java.util.Arrays.copyOfRange(buf, off, n);
                        sink.write(chunk, n - off);
                        if (md != null) {
                            md.update(chunk, 0, n - off);
                        }
                        have += n - off;
                        progressed = true;
                        if (have >= nextReport) {
                            LOG.info(
                                    "{}: {} of {} MB",
                                    subject.describe(),
                                    have >> 20,
                                    expectedSize < 0 ? "?" : expectedSize >> 20);
                            nextReport = have + REPORT_EVERY;
                        }
                    }
                }
                if (expectedSize < 0) {
                    break; // whole body read and no size announced: done
                }
                if (have < expectedSize) {
                    throw new IOException("stream ended at byte " + have + " of " + expectedSize);
                }
            } catch (IOException e) {
                if (e instanceof InterruptedIOException) {
                    throw e;
                }
                failures = progressed ? 1 : failures + 1;
                String why = http.scrub(String.valueOf(e.getMessage()));
                if (failures >= maxFailures) {
                    throw new HubAccessException(
                            Kind.UNAVAILABLE,
                            0,
                            "download of " + subject.describe() + " kept failing at byte " + have + ": " + why,
                            e);
                }
                LOG.warn("download of {} interrupted at byte {} ({}); resuming", subject.describe(), have, why);
                pause(failures);
            }
        }
        if (expectedSize >= 0 && have != expectedSize) {
            throw new HubAccessException(
                    Kind.INTEGRITY,
                    0,
                    "downloaded " + have + " bytes of " + subject.describe() + " but the Hub announced " + expectedSize
                            + "; delete the partial file and retry");
        }
        if (md != null) {
            String got = hex(md.digest());
            if (!got.equalsIgnoreCase(sha256)) {
                throw new HubAccessException(
                        Kind.INTEGRITY,
                        0,
                        "sha256 of " + subject.describe() + " is " + got + " but the Hub announced " + sha256
                                + "; the download is corrupt, retry it");
            }
        }
        return have;
    }

    private void pause(int failures) throws IOException {
        try {
            Thread.sleep(
                    http.settings().retry().backoff(failures, Optional.empty()).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while resuming a download");
        }
    }

    private static long contentRangeStart(HttpResponse<?> resp) {
        // "bytes 100-199/200"
        String cr = resp.headers().firstValue("Content-Range").orElse("");
        try {
            String range = cr.substring(cr.indexOf(' ') + 1, cr.indexOf('-'));
            return Long.parseLong(range.trim());
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private static void hashExisting(FileChannel ch, long have, MessageDigest md) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1 << 16);
        long pos = 0;
        while (pos < have) {
            b.clear();
            int n = ch.read(b, pos);
            if (n < 0) {
                break;
            }
            b.flip();
            md.update(b);
            pos += n;
        }
    }

    static MessageDigest digest(String sha256) {
        if (sha256 == null) {
            return null;
        }
        return sha256Digest();
    }

    static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    static String hex(byte[] bytes) {
        StringBuilder b = new StringBuilder(bytes.length * 2);
        for (byte x : bytes) {
            b.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        }
        return b.toString();
    }
}
