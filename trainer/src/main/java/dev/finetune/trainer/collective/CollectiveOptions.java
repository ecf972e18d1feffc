package dev.finetune.trainer.collective;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Where this rank sits in the ring and how patient it is. Command-line form (the same for the Spark child JVM
 * and for a hand-started rank on a multi-GPU host):
 * {@code --rank 0 --world-size 2 --peers 127.0.0.1:29500,127.0.0.1:29501 [--connect-timeout-s 120]
 * [--read-timeout-s 1800] [--fp16-wire] [--chunk-mb 4]}.
 */
public final class CollectiveOptions {
    /** How long a rank waits for its neighbours to come up unless told otherwise (a child JVM starts in seconds). */
    public static final int DEFAULT_CONNECT_TIMEOUT_S = 120;
    /** Longest silence of a live peer unless told otherwise (see {@link #readTimeoutMs}). */
    public static final int DEFAULT_READ_TIMEOUT_S = 1800;

    /** This rank, 0..world-1; rank 0 is the one that writes checkpoints. */
    public final int rank;
    /** Number of ranks. */
    public final int worldSize;
    /** host:port of every rank, indexed by rank; each rank listens on its own entry's port. */
    public final List<InetSocketAddress> peers;
    /** How long to wait for the neighbours to come up, default 120 s (a child JVM starts in seconds). */
    public final long connectTimeoutMs;
    /**
     * Longest silence from a live peer before it counts as hung, default 30 min: it must cover the longest
     * legitimate skew between ranks (rank 0 writing a checkpoint while the others wait). A dead peer is seen at
     * once (its socket closes), whatever this is.
     */
    public final long readTimeoutMs;
    /** How often a blocked rank logs whom it waits for, default 60 s. */
    public final long logIntervalMs;
    /** Send floats as FP16 (with a power-of-two scale per chunk): half the bytes; sums stay FP32. Default off. */
    public final boolean fp16Wire;
    /** Floats per frame, default 1 M (4 MB): large enough for throughput, small enough to overlap send and add. */
    public final int chunkFloats;
    /** Shared by the ranks of one attempt; a connection carrying another token (a stale rank) is refused. */
    public final long jobToken;

    public CollectiveOptions(
            int rank,
            int worldSize,
            List<InetSocketAddress> peers,
            long connectTimeoutMs,
            long readTimeoutMs,
            long logIntervalMs,
            boolean fp16Wire,
            int chunkFloats,
            long jobToken) {
        this.rank = rank;
        this.worldSize = worldSize;
        this.peers = Collections.unmodifiableList(new ArrayList<>(peers));
        this.connectTimeoutMs = connectTimeoutMs;
        this.readTimeoutMs = readTimeoutMs;
        this.logIntervalMs = logIntervalMs;
        this.fp16Wire = fp16Wire;
        this.chunkFloats = chunkFloats;
        this.jobToken = jobToken;
        validate();
    }

    /** Defaults for everything but the placement. */
    public static CollectiveOptions of(int rank, int worldSize, List<InetSocketAddress> peers) {
        return new CollectiveOptions(
                rank,
                worldSize,
                peers,
                1000L * DEFAULT_CONNECT_TIMEOUT_S,
                1000L * DEFAULT_READ_TIMEOUT_S,
                60_000,
                false,
                1 << 20,
                0L);
    }

    public CollectiveOptions withTimeouts(long connectMs, long readMs) {
        return new CollectiveOptions(
                rank, worldSize, peers, connectMs, readMs, logIntervalMs, fp16Wire, chunkFloats, jobToken);
    }

    public CollectiveOptions withFp16Wire(boolean value) {
        return new CollectiveOptions(
                rank, worldSize, peers, connectTimeoutMs, readTimeoutMs, logIntervalMs, value, chunkFloats, jobToken);
    }

    public CollectiveOptions withChunkFloats(int value) {
        return new CollectiveOptions(
                rank, worldSize, peers, connectTimeoutMs, readTimeoutMs, logIntervalMs, fp16Wire, value, jobToken);
    }

    public CollectiveOptions withJobToken(long value) {
        return new CollectiveOptions(
                rank, worldSize, peers, connectTimeoutMs, readTimeoutMs, logIntervalMs, fp16Wire, chunkFloats, value);
    }

    /**
     * Parses the collective's flags out of {@code args}, ignoring flags it does not know (the trainer's own).
     * Missing or bad values give an IllegalArgumentException naming the flag.
     */
    public static CollectiveOptions fromArgs(String[] args) {
        Integer rank = null;
        Integer world = null;
        String peers = null;
        long connect = 1000L * DEFAULT_CONNECT_TIMEOUT_S;
        long read = 1000L * DEFAULT_READ_TIMEOUT_S;
        boolean fp16 = false;
        int chunk = 1 << 20;
        long token = 0L;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rank":
                    rank = parseInt(args, ++i);
                    break;
                case "--world-size":
                    world = parseInt(args, ++i);
                    break;
                case "--peers":
                    peers = value(args, ++i);
                    break;
                case "--connect-timeout-s":
                    connect = 1000L * parseInt(args, ++i);
                    break;
                case "--read-timeout-s":
                    read = 1000L * parseInt(args, ++i);
                    break;
                case "--fp16-wire":
                    fp16 = true;
                    break;
                case "--chunk-mb":
                    chunk = parseInt(args, ++i) * (1 << 18);
                    break;
                case "--job-token":
                    token = Long.parseLong(value(args, ++i));
                    break;
                default:
                    break;
            }
        }
        if (rank == null || world == null || peers == null) {
            throw new IllegalArgumentException(
                    "collective flags: --rank, --world-size and --peers are required (got rank=" + rank
                            + ", world-size=" + world + ", peers=" + peers
                            + "); e.g. --rank 0 --world-size 2 --peers 127.0.0.1:29500,127.0.0.1:29501");
        }
        return new CollectiveOptions(rank, world, parsePeers(peers), connect, read, 60_000, fp16, chunk, token);
    }

    /** The flags that {@link #fromArgs} reads back to these options. */
    public List<String> toArgs() {
        List<String> out = new ArrayList<>();
        StringBuilder p = new StringBuilder();
        for (InetSocketAddress a : peers) {
            p.append(p.length() == 0 ? "" : ",")
                    .append(a.getHostString())
                    .append(':')
                    .append(a.getPort());
        }
        Collections.addAll(
                out,
                "--rank",
                String.valueOf(rank),
                "--world-size",
                String.valueOf(worldSize),
                "--peers",
                p.toString(),
                "--connect-timeout-s",
                String.valueOf(connectTimeoutMs / 1000),
                "--read-timeout-s",
                String.valueOf(readTimeoutMs / 1000),
                "--job-token",
                String.valueOf(jobToken));
        if (fp16Wire) {
            out.add("--fp16-wire");
        }
        return out;
    }

    /** "host:port,host:port" → addresses (unresolved hosts are resolved when connecting). */
    public static List<InetSocketAddress> parsePeers(String list) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String item : list.split(",")) {
            String s = item.trim();
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || colon == s.length() - 1) {
                throw new IllegalArgumentException("--peers entry '" + s + "': expected host:port");
            }
            int port;
            try {
                port = Integer.parseInt(s.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--peers entry '" + s + "': port is not a number", e);
            }
            out.add(InetSocketAddress.createUnresolved(s.substring(0, colon), port));
        }
        return out;
    }

    /** Checks every field; the message names the option, the value and the allowed range. */
    public CollectiveOptions validate() {
        if (worldSize < 1) {
            throw new IllegalArgumentException("--world-size=" + worldSize + ": must be >= 1");
        }
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("--rank=" + rank + ": must be in 0.." + (worldSize - 1));
        }
        if (peers.size() != worldSize) {
            throw new IllegalArgumentException("--peers has " + peers.size() + " entries, --world-size is " + worldSize
                    + ": give one host:port per rank, in rank order");
        }
        for (InetSocketAddress a : peers) {
            if (a.getPort() < 1 || a.getPort() > 65535) {
                throw new IllegalArgumentException("--peers entry " + a + ": port must be in 1..65535");
            }
        }
        if (connectTimeoutMs < 1000 || readTimeoutMs < 1000) {
            throw new IllegalArgumentException("--connect-timeout-s / --read-timeout-s = " + connectTimeoutMs / 1000
                    + " / " + readTimeoutMs / 1000 + ": must be >= 1");
        }
        if (chunkFloats < 1024 || chunkFloats > (1 << 26)) {
            throw new IllegalArgumentException(
                    "--chunk-mb: " + chunkFloats + " floats per frame, must be 1024..67108864");
        }
        return this;
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException("flag " + args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static int parseInt(String[] args, int i) {
        String v = value(args, i);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("flag " + args[i - 1] + "=" + v + ": expected an integer", e);
        }
    }
}
