package dev.finetune.trainer.collective;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The one private exchange under {@link TcpCollective}: a socket to the next rank (written by one sender
 * thread, so sending overlaps receiving) and a socket from the previous rank (read by the caller's thread).
 * Frames are {@code [int op][int seq][long bytes][payload]}; the receiver checks op, sequence number and size,
 * so ranks that call different collectives fail at once instead of mixing data.
 *
 * <p>Failure: the first error wins and names a rank (EOF or reset from prev → prev; a failed write → next;
 * an ABORT frame → whom it names). The failing rank forwards an ABORT naming the culprit to next, so the
 * news travels round the ring and every rank blames the same peer, then closes its sockets.
 */
final class RingLink implements AutoCloseable {

    static final int OP_F32 = 1;
    static final int OP_F16 = 2;
    static final int OP_BYTES = 3;
    static final int OP_ABORT = 9;
    /** "I am alive and blocked waiting for my previous rank": resets the receiver's silence clock. */
    static final int OP_WAITING = 10;

    private static final int MAGIC = 0x46544331; // "FTC1"
    private static final int VERSION = 1;
    private static final int TICK_MS = 500;
    /** A failing rank keeps its sockets open this long, so news of the culprit outruns its own closing. */
    private static final long ABORT_LINGER_MS = 1000;
    /** A failed write may be the echo of a failure elsewhere: wait this long for an ABORT naming the culprit. */
    private static final long SEND_FAILURE_GRACE_MS = 1500;

    private final CollectiveOptions o;
    private final int next;
    private final int prev;
    private final Consumer<String> log;
    private final ExecutorService sender;
    private final AtomicReference<CollectiveException> failure = new AtomicReference<>();
    /** A write to next failed: tentative until the grace period ends or better news arrives. */
    private final AtomicReference<CollectiveException> sendFailure = new AtomicReference<>();

    private volatile long sendFailureAt;
    private final long heartbeatMs;
    /** A header read ahead while waiting for sends (only ever a data frame's header). */
    private byte[] stashedHeader;

    private Socket toNext;
    private Socket fromPrev;
    private DataOutputStream out;
    private InputStream in;
    /** What the caller is doing, for log lines and error messages. */
    private volatile String activity = "connecting";

    private RingLink(CollectiveOptions o, Consumer<String> log) {
        this.o = o;
        this.next = (o.rank + 1) % o.worldSize;
        this.prev = (o.rank - 1 + o.worldSize) % o.worldSize;
        this.log = log;
        this.heartbeatMs = Math.max(TICK_MS, Math.min(o.logIntervalMs, o.readTimeoutMs / 4));
        this.sender = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "collective-send-rank" + o.rank);
            t.setDaemon(true);
            return t;
        });
    }

    /** Connects to next and accepts prev on {@code listening}, which must be bound to this rank's port. */
    static RingLink open(CollectiveOptions o, ServerSocket listening, Consumer<String> log) {
        RingLink link = new RingLink(o, log);
        try {
            link.connectNext();
            link.acceptPrev(listening);
            link.awaitAck();
            return link;
        } catch (CollectiveException e) {
            link.closeQuietly();
            throw e;
        }
    }

    private void connectNext() {
        InetSocketAddress target = new InetSocketAddress(
                o.peers.get(next).getHostString(), o.peers.get(next).getPort());
        long deadline = System.currentTimeMillis() + o.connectTimeoutMs;
        IOException last = null;
        while (System.currentTimeMillis() < deadline) {
            Socket s = new Socket();
            try {
                s.setTcpNoDelay(true);
                s.setSendBufferSize(4 << 20);
                s.connect(target, (int) Math.max(1, Math.min(5000, deadline - System.currentTimeMillis())));
                s.setSoTimeout((int) Math.min(o.connectTimeoutMs, 30_000));
                DataOutputStream d = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 1 << 16));
                d.writeInt(MAGIC);
                d.writeInt(VERSION);
                d.writeInt(o.worldSize);
                d.writeInt(o.rank);
                d.writeLong(o.jobToken);
                d.flush();
                toNext = s; // the reply comes once next has connected to its own next: awaitAck, after acceptPrev

                out = d;
                return;
            } catch (IOException e) {
                last = e;
                closeQuietly(s);
                sleep(200);
            }
        }
        throw new CollectiveException(
                next,
                "rank " + o.rank + " could not connect to rank " + next + " at " + addr(next) + " within "
                        + o.connectTimeoutMs / 1000 + " s (is it running, and is the port reachable?)",
                last);
    }

    /** Reads next's handshake reply; every rank sends its reply only after its own connect, so no cycle waits. */
    private void awaitAck() {
        try {
            toNext.setSoTimeout((int) Math.min(Integer.MAX_VALUE, o.connectTimeoutMs));
            DataInputStream ack = new DataInputStream(toNext.getInputStream());
            if (ack.readInt() != MAGIC || ack.readInt() != next) {
                throw new IOException("unexpected handshake reply");
            }
        } catch (IOException e) {
            throw new CollectiveException(
                    next,
                    "rank " + o.rank + ": rank " + next + " at " + addr(next)
                            + " did not accept this rank's connection (another job or attempt on that port?)",
                    e);
        }
    }

    /** host:port of a rank, as given in --peers. */
    String addr(int rank) {
        InetSocketAddress a = o.peers.get(rank);
        return a.getHostString() + ":" + a.getPort();
    }

    private void acceptPrev(ServerSocket listening) {
        long deadline = System.currentTimeMillis() + o.connectTimeoutMs;
        try {
            while (true) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    throw new CollectiveException(
                            prev,
                            "rank " + o.rank + ": rank " + prev + " (" + addr(prev) + ") did not connect within "
                                    + o.connectTimeoutMs / 1000 + " s");
                }
                listening.setSoTimeout((int) left);
                Socket s;
                try {
                    s = listening.accept();
                } catch (SocketTimeoutException e) {
                    continue;
                }
                try {
                    s.setTcpNoDelay(true);
                    s.setReceiveBufferSize(4 << 20);
                    s.setSoTimeout(10_000);
                    DataInputStream d = new DataInputStream(s.getInputStream());
                    int magic = d.readInt();
                    int version = d.readInt();
                    int world = d.readInt();
                    int rank = d.readInt();
                    long token = d.readLong();
                    if (magic != MAGIC
                            || version != VERSION
                            || world != o.worldSize
                            || rank != prev
                            || token != o.jobToken) {
                        log.accept("rank " + o.rank + ": refused a connection from " + s.getRemoteSocketAddress()
                                + " (rank " + rank + ", world " + world + ", another job or attempt?)");
                        closeQuietly(s);
                        continue;
                    }
                    DataOutputStream ack = new DataOutputStream(s.getOutputStream());
                    ack.writeInt(MAGIC);
                    ack.writeInt(o.rank);
                    ack.flush();
                    s.setSoTimeout(TICK_MS);
                    fromPrev = s;
                    in = s.getInputStream();
                    return;
                } catch (IOException e) {
                    log.accept("rank " + o.rank + ": dropped a connection attempt from " + s.getRemoteSocketAddress()
                            + ": " + e);
                    closeQuietly(s);
                }
            }
        } catch (IOException e) {
            throw new CollectiveException(
                    prev,
                    "rank " + o.rank + ": accepting rank " + prev + " failed on port " + listening.getLocalPort(),
                    e);
        }
    }

    int rank() {
        return o.rank;
    }

    int next() {
        return next;
    }

    int prev() {
        return prev;
    }

    void setActivity(String what) {
        activity = what;
    }

    /** Throws the first failure if there was one. */
    void checkHealthy() {
        CollectiveException e = failure.get();
        if (e != null) {
            throw new CollectiveException(
                    e.failedRank(),
                    "rank " + o.rank + ": the collective already failed, "
                            + "restart from the last checkpoint. First failure: " + e.getMessage(),
                    e);
        }
    }

    /** Queues a frame whose payload {@code payload} writes; frames go out in submission order. */
    Future<?> send(int op, int seq, long bytes, PayloadWriter payload) {
        return sender.submit(() -> {
            if (failure.get() != null || sendFailure.get() != null) {
                return null;
            }
            try {
                out.writeInt(op);
                out.writeInt(seq);
                out.writeLong(bytes);
                payload.write(out);
                out.flush();
            } catch (IOException e) {
                sendFailureAt = System.currentTimeMillis();
                sendFailure.compareAndSet(
                        null,
                        new CollectiveException(
                                next,
                                "rank " + o.rank + ": rank " + next + " (" + addr(next)
                                        + ") went away while this rank sent to it during " + activity + " (" + e + ")",
                                e));
            }
            return null;
        });
    }

    /**
     * Waits for queued frames. Meanwhile it tells prev that this rank is alive (a byte on the reverse
     * direction of prev's socket), watches for an ABORT from prev, and fails if next reads nothing for the read
     * timeout while sending no sign of life back.
     */
    void awaitSent(Future<?> f) {
        long quietSince = System.currentTimeMillis();
        long lastLog = quietSince;
        long lastBeat = 0;
        while (true) {
            try {
                f.get(TICK_MS, TimeUnit.MILLISECONDS);
                break;
            } catch (TimeoutException e) {
                long now = System.currentTimeMillis();
                checkFailed();
                peekForAbort();
                if (drainReverse()) {
                    quietSince = now; // next is alive and itself waiting further down the ring
                }
                if (now - lastBeat >= heartbeatMs) {
                    lastBeat = now;
                    beatReverse();
                }
                if (now - quietSince > o.readTimeoutMs) {
                    throw fail(new CollectiveException(
                            next,
                            "rank " + o.rank + ": rank " + next + " (" + addr(next)
                                    + ") has not read from this rank for " + (now - quietSince) / 1000 + " s during "
                                    + activity));
                }
                if (now - lastLog >= o.logIntervalMs) {
                    lastLog = now;
                    log.accept("rank " + o.rank + " waiting " + (now - quietSince) / 1000 + " s for rank " + next + " ("
                            + addr(next) + ") to read, in " + activity);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw fail(new CollectiveException(-1, "rank " + o.rank + " interrupted during " + activity, e));
            } catch (ExecutionException e) {
                throw fail(new CollectiveException(
                        -1, "rank " + o.rank + ": sending failed during " + activity, e.getCause()));
            }
        }
        if (sendFailure.get() != null) {
            // wait out the grace period for an ABORT that names the real culprit
            while (System.currentTimeMillis() - sendFailureAt < SEND_FAILURE_GRACE_MS) {
                peekForAbort();
                sleep(50);
            }
        }
        checkFailed();
    }

    /**
     * Reads the next frame header from prev and checks it; returns the payload size. Sign-of-life frames are
     * skipped; an ABORT frame or a mismatch fails the collective.
     */
    long readHeader(int expectedOp, int seq) {
        while (true) {
            byte[] h = stashedHeader;
            stashedHeader = null;
            if (h == null) {
                h = new byte[16];
                readFully(h, 0, 16);
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(h);
            int op = b.getInt();
            int gotSeq = b.getInt();
            long bytes = b.getLong();
            if (op == OP_WAITING) {
                continue;
            }
            if (op == OP_ABORT) {
                throw abortFrom(bytes);
            }
            if (op != expectedOp || gotSeq != seq) {
                throw fail(new CollectiveException(
                        prev,
                        "rank " + o.rank + " is in " + activity + " (collective #" + seq
                                + ", frame type " + expectedOp + ") but rank " + prev + " sent collective #" + gotSeq
                                + ", frame type " + op
                                + ": every rank must call the same collectives in the same order"));
            }
            return bytes;
        }
    }

    private CollectiveException abortFrom(long bytes) {
        byte[] msg = new byte[(int) bytes];
        readFully(msg, 0, msg.length);
        int culprit = java.nio.ByteBuffer.wrap(msg).getInt();
        String text = new String(msg, 4, msg.length - 4, StandardCharsets.UTF_8);
        return fail(new CollectiveException(
                culprit, "rank " + o.rank + ": rank " + culprit + " failed (news from rank " + prev + "): " + text));
    }

    /** Reads a waiting header without blocking; an ABORT fails at once, a data header is kept for readHeader. */
    private void peekForAbort() {
        try {
            while (stashedHeader == null && in.available() >= 16) {
                byte[] h = new byte[16];
                readFully(h, 0, 16);
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(h);
                int op = b.getInt();
                b.getInt();
                long bytes = b.getLong();
                if (op == OP_ABORT) {
                    throw abortFrom(bytes);
                }
                if (op != OP_WAITING) {
                    stashedHeader = h;
                }
            }
        } catch (IOException e) {
            // a closed socket shows up in the next blocking read, with its culprit
        }
    }

    /**
     * Reads exactly {@code len} bytes from prev. While it waits it tells next "alive, waiting" (so next does not
     * blame this rank), logs, and fails once prev has been silent for the read timeout: prev sends such notices
     * itself when it is only waiting further up the ring, so silence means prev is stuck or gone.
     */
    void readFully(byte[] buf, int off, int len) {
        long quietSince = System.currentTimeMillis();
        long lastLog = quietSince;
        long lastBeat = quietSince;
        int done = 0;
        while (done < len) {
            int n;
            try {
                n = in.read(buf, off + done, len - done);
            } catch (SocketTimeoutException e) {
                long now = System.currentTimeMillis();
                checkFailed();
                if (now - lastBeat >= heartbeatMs) {
                    lastBeat = now;
                    send(OP_WAITING, -1, 0, w -> {});
                }
                if (now - quietSince > o.readTimeoutMs) {
                    throw fail(new CollectiveException(
                            prev,
                            "rank " + o.rank + ": rank " + prev + " (" + addr(prev)
                                    + ") sent nothing, not even a sign of life, for " + (now - quietSince) / 1000
                                    + " s during "
                                    + activity + " (read timeout " + o.readTimeoutMs / 1000 + " s)"));
                }
                if (now - lastLog >= o.logIntervalMs) {
                    lastLog = now;
                    log.accept("rank " + o.rank + " waiting " + (now - quietSince) / 1000 + " s for rank " + prev + " ("
                            + addr(prev) + ") in " + activity);
                }
                continue;
            } catch (IOException e) {
                checkFailed();
                throw fail(new CollectiveException(
                        prev,
                        "rank " + o.rank + ": rank " + prev + " (" + addr(prev) + ") went away during " + activity
                                + " (" + e + ")",
                        e));
            }
            if (n < 0) {
                checkFailed();
                throw fail(new CollectiveException(
                        prev,
                        "rank " + o.rank + ": rank " + prev + " (" + addr(prev) + ") closed its connection during "
                                + activity,
                        new EOFException()));
            }
            if (n > 0) {
                quietSince = System.currentTimeMillis();
            }
            done += n;
        }
    }

    /** Sends one sign-of-life byte to prev on the reverse direction of its socket. */
    private void beatReverse() {
        try {
            fromPrev.getOutputStream().write(1);
        } catch (IOException ignored) {
            // prev's failure, if any, is seen on the forward direction
        }
    }

    /** Consumes sign-of-life bytes from next; true if there were any. */
    private boolean drainReverse() {
        try {
            InputStream r = toNext.getInputStream();
            int avail = r.available();
            if (avail > 0) {
                r.read(new byte[avail]);
                return true;
            }
        } catch (IOException ignored) {
            // a dead next shows up as a failed write
        }
        return false;
    }

    /** Promotes a failed write to the failure once its grace period has passed; throws any failure. */
    private void checkFailed() {
        CollectiveException tentative = sendFailure.get();
        if (tentative != null && System.currentTimeMillis() - sendFailureAt >= SEND_FAILURE_GRACE_MS) {
            failure.compareAndSet(null, tentative);
        }
        CollectiveException e = failure.get();
        if (e != null) {
            throw fail(e);
        }
    }

    /**
     * Records {@code e} (unless an earlier failure exists, which wins), tells next who failed unless next is
     * the culprit, lingers briefly so the news outruns our closing sockets, closes, and returns the failure.
     */
    CollectiveException fail(CollectiveException e) {
        failure.compareAndSet(null, e);
        CollectiveException first = failure.get();
        if (toNext != null && !toNext.isClosed()) {
            if (first.failedRank() != next && sendFailure.get() == null) {
                byte[] text = first.getMessage().getBytes(StandardCharsets.UTF_8);
                Future<?> abort = sender.submit(() -> {
                    try {
                        out.writeInt(OP_ABORT);
                        out.writeInt(-1);
                        out.writeLong(4 + text.length);
                        out.writeInt(first.failedRank());
                        out.write(text);
                        out.flush();
                    } catch (IOException ignored) {
                        // next is gone too; its own neighbour will blame it
                    }
                    return null;
                });
                try {
                    abort.get(ABORT_LINGER_MS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                } catch (ExecutionException | TimeoutException ignored) {
                    // best effort only
                }
            }
            sleep(ABORT_LINGER_MS);
        }
        closeQuietly();
        return first;
    }

    @Override
    public void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        sender.shutdownNow();
        closeQuietly(toNext);
        closeQuietly(fromPrev);
    }

    private static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes a frame's payload. */
    interface PayloadWriter {
        void write(DataOutputStream out) throws IOException;
    }
}
