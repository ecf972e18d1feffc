package dev.finetune.trainer.collective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.finetune.trainer.tensor.Ops;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Collectives between the ranks of one training run over TCP, like Spark's {@code BarrierTaskContext} but
 * usable without Spark: {@link #allReduceSum} (ring: reduce-scatter, then all-gather; bandwidth-optimal, each
 * rank sends 2(n-1)/n of the buffer), {@link #broadcast}, {@link #allGather} of small messages and
 * {@link #barrier}. Sums are FP32 and computed once per segment by its owner, so every rank ends with
 * bit-identical results (with FP16 on the wire too: the owner rounds its own copy the same way).
 *
 * <p><b>CAUTION:</b> every rank must call the same collectives, with the same sizes, in the same order, on every
 * code path. A rank that skips one (e.g. inside a catch block only some ranks reach) makes the others fail
 * with "every rank must call the same collectives in the same order" or wait until the read timeout. After any
 * failure the object is unusable: end the run, and let the launcher restart all ranks from the last
 * checkpoint. Not thread-safe: one thread per rank calls it.
 */
public final class TcpCollective implements AutoCloseable {

    private final CollectiveOptions options;
    private final RingLink link;
    private final Consumer<String> log;
    private int seq;

    private TcpCollective(CollectiveOptions options, RingLink link, Consumer<String> log) {
        this.options = options;
        this.link = link;
        this.log = log;
    }

    /** Listens on this rank's port from {@code options.peers}, then joins the ring. Logs to stderr. */
    public static TcpCollective connect(CollectiveOptions options) {
        if (options.worldSize == 1) {
            return new TcpCollective(options, null, System.err::println);
        }
        ServerSocket server = listen(options.peers.get(options.rank).getPort());
        try {
            return connect(options, server, System.err::println);
        } finally {
            try {
                server.close();
            } catch (IOException ignored) {
                // the ring is built; the listening socket is no longer needed
            }
        }
    }

    /** Joins the ring accepting on an already bound socket (tests, or a launcher that reserved the port). */
    public static TcpCollective connect(CollectiveOptions options, ServerSocket listening, Consumer<String> log) {
        options.validate();
        if (options.worldSize == 1) {
            return new TcpCollective(options, null, log);
        }
        return new TcpCollective(options, RingLink.open(options, listening, log), log);
    }

    /** A server socket on {@code port} of every interface (0 = any free port). */
    public static ServerSocket listen(int port) {
        try {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.setReceiveBufferSize(4 << 20);
            s.bind(new InetSocketAddress(port), 16);
            return s;
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot listen on port " + port + " for the collective: " + e.getMessage()
                            + "; pick another port in --peers",
                    e);
        }
    }

    public int rank() {
        return options.rank;
    }

    public int worldSize() {
        return options.worldSize;
    }

    public CollectiveOptions options() {
        return options;
    }

    /** Replaces {@code data} on every rank by the element-wise sum over all ranks. */
    public void allReduceSum(float[] data) {
        int n = options.worldSize;
        if (n == 1) {
            return;
        }
        int op = begin("allReduceSum(" + data.length + " floats)");
        int r = options.rank;
        // reduce-scatter: after n-1 steps rank r holds the full sum of segment (r+1) mod n
        for (int s = 0; s < n - 1; s++) {
            int sendSeg = Math.floorMod(r - s, n);
            int recvSeg = Math.floorMod(r - s - 1, n);
            List<Future<?>> sent = sendSegment(op, data, sendSeg);
            receiveSegment(op, data, recvSeg, true, null);
            awaitAll(sent);
        }
        // all-gather: the owner encodes its segment once and keeps what receivers will decode (identical
        // results with FP16 on the wire); then frames travel verbatim
        int[] own = segment(data.length, Math.floorMod(r + 1, n));
        List<byte[]> forward = encodeFrames(data, own[0], own[1] - own[0]);
        for (int s = 0; s < n - 1; s++) {
            int recvSeg = Math.floorMod(r - s, n);
            List<Future<?>> sent = forwardFrames(op, forward);
            forward = new ArrayList<>();
            receiveSegment(op, data, recvSeg, false, s < n - 2 ? forward : null);
            awaitAll(sent);
        }
    }

    /**
     * All-reduces FP32 (or other float) arrays in place, e.g. the LoRA gradients, by way of one host buffer.
     * Every rank must pass arrays of the same sizes in the same order.
     */
    public void allReduceSum(List<NDArray> arrays) {
        long total = 0;
        for (NDArray a : arrays) {
            total += a.size();
        }
        float[] flat = new float[Math.toIntExact(total)];
        int off = 0;
        for (NDArray a : arrays) {
            float[] v;
            if (a.getDataType() == DataType.FLOAT32) {
                v = a.toFloatArray();
            } else {
                try (NDArray f32 = a.toType(DataType.FLOAT32, false)) {
                    v = f32.toFloatArray();
                }
            }
            System.arraycopy(v, 0, flat, off, v.length);
            off += v.length;
        }
        allReduceSum(flat);
        off = 0;
        for (NDArray a : arrays) {
            int len = Math.toIntExact(a.size());
            Ops.assign(a, Arrays.copyOfRange(flat, off, off + len));
            off += len;
        }
    }

    /** Replaces {@code data} on every rank by rank {@code root}'s (pipelined along the ring, chunk by chunk). */
    public void broadcast(float[] data, int root) {
        int n = options.worldSize;
        checkRoot(root);
        if (n == 1) {
            return;
        }
        int op = begin("broadcast(" + data.length + " floats from rank " + root + ")");
        if (options.rank == root) {
            awaitAll(forwardFrames(op, encodeFrames(data, 0, data.length)));
            return;
        }
        boolean forward = link.next() != root;
        List<Future<?>> sent = new ArrayList<>();
        for (int off = 0; off < data.length; off += options.chunkFloats) {
            int len = Math.min(options.chunkFloats, data.length - off);
            byte[] frame = receiveChunk(op, data, off, len, false);
            if (forward) {
                sent.add(sendRaw(op, frame));
            }
        }
        awaitAll(sent);
    }

    /** Every rank's message, indexed by rank (messages may differ in length; keep them small). */
    public byte[][] allGather(byte[] mine) {
        int n = options.worldSize;
        byte[][] all = new byte[n][];
        all[options.rank] = mine.clone();
        if (n == 1) {
            return all;
        }
        int op = begin("allGather(" + mine.length + " bytes)");
        for (int s = 0; s < n - 1; s++) {
            int sendFrom = Math.floorMod(options.rank - s, n);
            int recvFrom = Math.floorMod(options.rank - s - 1, n);
            byte[] payload = all[sendFrom];
            Future<?> f = link.send(RingLink.OP_BYTES, op, payload.length, out -> out.write(payload));
            long len = link.readHeader(RingLink.OP_BYTES, op);
            if (len > (64 << 20)) {
                throw link.fail(new CollectiveException(
                        link.prev(),
                        "allGather: rank " + link.prev() + " sent " + len + " bytes; messages must stay under 64 MB"));
            }
            all[recvFrom] = new byte[(int) len];
            link.readFully(all[recvFrom], 0, (int) len);
            link.awaitSent(f);
        }
        return all;
    }

    /** Returns once every rank has called barrier. */
    public void barrier() {
        allGather(new byte[0]);
    }

    @Override
    public void close() {
        if (link != null) {
            link.close();
        }
    }

    // ---- segments, chunks and frames

    private int begin(String what) {
        link.checkHealthy();
        seq++;
        link.setActivity(what + " #" + seq);
        return seq;
    }

    /** [start, end) of segment {@code i} of a buffer split into worldSize near-equal parts. */
    private int[] segment(int length, int i) {
        int n = options.worldSize;
        int base = length / n;
        int rem = length % n;
        int start = i * base + Math.min(i, rem);
        return new int[] {start, start + base + (i < rem ? 1 : 0)};
    }

    private List<Future<?>> sendSegment(int op, float[] data, int seg) {
        int[] b = segment(data.length, seg);
        return sendRange(op, data, b[0], b[1] - b[0]);
    }

    private List<Future<?>> sendRange(int op, float[] data, int from, int count) {
        List<Future<?>> out = new ArrayList<>();
        for (int off = from; off < from + count; off += options.chunkFloats) {
            int len = Math.min(options.chunkFloats, from + count - off);
            final int o = off;
            if (options.fp16Wire) {
                out.add(link.send(RingLink.OP_F16, op, 4 + 2L * len, w -> w.write(encodeF16(data, o, len))));
            } else {
                out.add(link.send(RingLink.OP_F32, op, 4L * len, w -> w.write(encodeF32(data, o, len))));
            }
        }
        return out;
    }

    private Future<?> sendRaw(int op, byte[] payload) {
        int type = options.fp16Wire ? RingLink.OP_F16 : RingLink.OP_F32;
        return link.send(type, op, payload.length, w -> w.write(payload));
    }

    private List<Future<?>> forwardFrames(int op, List<byte[]> frames) {
        List<Future<?>> out = new ArrayList<>();
        for (byte[] f : frames) {
            out.add(sendRaw(op, f));
        }
        return out;
    }

    private void receiveSegment(int op, float[] data, int seg, boolean add, List<byte[]> keep) {
        int[] b = segment(data.length, seg);
        for (int off = b[0]; off < b[1]; off += options.chunkFloats) {
            int len = Math.min(options.chunkFloats, b[1] - off);
            byte[] frame = receiveChunk(op, data, off, len, add);
            if (keep != null) {
                keep.add(frame);
            }
        }
    }

    /** Reads one chunk frame into data[off, off+len) (added or assigned); returns the raw payload. */
    private byte[] receiveChunk(int op, float[] data, int off, int len, boolean add) {
        int type = options.fp16Wire ? RingLink.OP_F16 : RingLink.OP_F32;
        long expected = options.fp16Wire ? 4 + 2L * len : 4L * len;
        long bytes = link.readHeader(type, op);
        if (bytes != expected) {
            throw link.fail(new CollectiveException(
                    link.prev(),
                    "rank " + options.rank + ": rank " + link.prev() + " sent " + bytes + " bytes where " + expected
                            + " were due: the ranks passed buffers of different sizes"));
        }
        byte[] payload = new byte[(int) bytes];
        link.readFully(payload, 0, payload.length);
        ByteBuffer bb = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        if (options.fp16Wire) {
            float unscale = Math.scalb(1f, -bb.getInt(0));
            for (int i = 0; i < len; i++) {
                float v = HalfFloats.toFloat(bb.getShort(4 + 2 * i)) * unscale;
                data[off + i] = add ? data[off + i] + v : v;
            }
        } else {
            FloatBuffer fb = bb.asFloatBuffer();
            if (add) {
                for (int i = 0; i < len; i++) {
                    data[off + i] += fb.get(i);
                }
            } else {
                fb.get(data, off, len);
            }
        }
        return payload;
    }

    private void awaitAll(List<Future<?>> sent) {
        for (Future<?> f : sent) {
            link.awaitSent(f);
        }
    }

    private static byte[] encodeF32(float[] data, int off, int len) {
        byte[] out = new byte[4 * len];
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(data, off, len);
        return out;
    }

    /** [int exponent e][len × binary16 of x·2^e], little-endian. */
    private static byte[] encodeF16(float[] data, int off, int len) {
        byte[] out = new byte[4 + 2 * len];
        ByteBuffer bb = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        int e = HalfFloats.scaleExponent(data, off, len);
        float scale = Math.scalb(1f, e);
        bb.putInt(0, e);
        for (int i = 0; i < len; i++) {
            bb.putShort(4 + 2 * i, HalfFloats.fromFloat(data[off + i] * scale));
        }
        return out;
    }

    /**
     * Encodes data[from, from+count) into chunk frames and overwrites it with what a receiver decodes from
     * them (a no-op in FP32), so the sender ends with exactly the receivers' values.
     */
    private List<byte[]> encodeFrames(float[] data, int from, int count) {
        List<byte[]> frames = new ArrayList<>();
        for (int off = from; off < from + count; off += options.chunkFloats) {
            int len = Math.min(options.chunkFloats, from + count - off);
            if (!options.fp16Wire) {
                frames.add(encodeF32(data, off, len));
                continue;
            }
            byte[] f = encodeF16(data, off, len);
            ByteBuffer bb = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
            float unscale = Math.scalb(1f, -bb.getInt(0));
            for (int i = 0; i < len; i++) {
                data[off + i] = HalfFloats.toFloat(bb.getShort(4 + 2 * i)) * unscale;
            }
            frames.add(f);
        }
        return frames;
    }

    private void checkRoot(int root) {
        if (root < 0 || root >= options.worldSize) {
            throw new IllegalArgumentException(
                    "broadcast root " + root + ": must be a rank in 0.." + (options.worldSize - 1));
        }
    }
}
