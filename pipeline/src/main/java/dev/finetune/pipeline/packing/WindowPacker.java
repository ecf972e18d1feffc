package dev.finetune.pipeline.packing;

import dev.finetune.pipeline.records.TokenizedDocument;
import dev.finetune.shards.ShardRow;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Packs one window of documents (in document order) into rows of exactly max_seq_length tokens.
 *
 * <p>Over-long documents are split into pieces of max_seq_length (continuations do not train their first
 * token: it has no context in its row) or truncated. With packing on, the pieces are placed best-fit
 * decreasing: longest first (ties in document order), each into the open row with the least room that
 * still fits it, else a new row; rows come out in the order they were opened. A piece is never split
 * across rows and a row's segments never mix documents. The result is a pure function of the window's
 * documents and the options, which makes the shards deterministic.
 */
public final class WindowPacker {
    private final PackingOptions options;

    public WindowPacker(PackingOptions options) {
        this.options = options;
    }

    /** The packed rows of a window and their counts. */
    public static final class Packed {
        public final List<ShardRow> rows;
        public final PackStats stats;

        Packed(List<ShardRow> rows, PackStats stats) {
            this.rows = rows;
            this.stats = stats;
        }
    }

    /** A contiguous slice of a document, placed as one segment. */
    private static final class Piece {
        final TokenizedDocument doc;
        final int start;
        final int length;
        final boolean continuation;

        Piece(TokenizedDocument doc, int start, int length, boolean continuation) {
            this.doc = doc;
            this.start = start;
            this.length = length;
            this.continuation = continuation;
        }
    }

    public Packed pack(List<TokenizedDocument> documents) {
        PackStats stats = new PackStats();
        List<Piece> pieces = cut(documents, stats);
        List<List<Piece>> bins = options.packing ? bestFitDecreasing(pieces) : onePerRow(pieces);
        List<ShardRow> rows = new ArrayList<>(bins.size());
        for (List<Piece> bin : bins) {
            rows.add(fill(bin, stats));
        }
        stats.rows = rows.size();
        stats.paddingTokens = (long) rows.size() * options.maxSeqLength - stats.tokens;
        return new Packed(rows, stats);
    }

    private List<Piece> cut(List<TokenizedDocument> documents, PackStats stats) {
        int max = options.maxSeqLength;
        List<Piece> pieces = new ArrayList<>(documents.size());
        for (TokenizedDocument d : documents) {
            stats.documents++;
            int n = d.length();
            if (n == 0) {
                continue; // an empty record contributes no tokens and no row
            }
            if (n <= max) {
                pieces.add(new Piece(d, 0, n, false));
            } else if (options.overflow == Overflow.TRUNCATE) {
                stats.truncatedDocuments++;
                pieces.add(new Piece(d, 0, max, false));
            } else {
                stats.splitDocuments++;
                for (int s = 0; s < n; s += max) {
                    pieces.add(new Piece(d, s, Math.min(max, n - s), s > 0));
                }
            }
        }
        return pieces;
    }

    private static List<List<Piece>> onePerRow(List<Piece> pieces) {
        List<List<Piece>> bins = new ArrayList<>(pieces.size());
        for (Piece p : pieces) {
            List<Piece> bin = new ArrayList<>(1);
            bin.add(p);
            bins.add(bin);
        }
        return bins;
    }

    private List<List<Piece>> bestFitDecreasing(List<Piece> pieces) {
        Integer[] order = new Integer[pieces.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        // Stable sort: equal lengths keep document order.
        Arrays.sort(order, (a, b) -> Integer.compare(pieces.get(b).length, pieces.get(a).length));
        List<List<Piece>> bins = new ArrayList<>();
        List<Integer> room = new ArrayList<>();
        TreeMap<Integer, ArrayDeque<Integer>> byRoom = new TreeMap<>(); // room left → open rows, oldest first
        for (Integer i : order) {
            Piece p = pieces.get(i);
            Map.Entry<Integer, ArrayDeque<Integer>> fit = byRoom.ceilingEntry(p.length);
            int bin;
            if (fit == null) {
                bin = bins.size();
                bins.add(new ArrayList<>());
                room.add(options.maxSeqLength);
            } else {
                bin = fit.getValue().pollFirst();
                if (fit.getValue().isEmpty()) {
                    byRoom.remove(fit.getKey());
                }
            }
            bins.get(bin).add(p);
            int left = room.get(bin) - p.length;
            room.set(bin, left);
            if (left > 0) {
                byRoom.computeIfAbsent(left, k -> new ArrayDeque<>()).addLast(bin);
            }
        }
        return bins;
    }

    private ShardRow fill(List<Piece> bin, PackStats stats) {
        ShardRow row = new ShardRow(options.maxSeqLength);
        Arrays.fill(row.ids, options.padTokenId);
        int at = 0;
        int segment = 0;
        for (Piece p : bin) {
            segment++;
            System.arraycopy(p.doc.ids, p.start, row.ids, at, p.length);
            System.arraycopy(p.doc.targets, p.start, row.targets, at, p.length);
            Arrays.fill(row.segments, at, at + p.length, segment);
            // Every segment's first token has no context in the row; for whole documents it is 0 already.
            row.targets[at] = 0;
            for (int t = at; t < at + p.length; t++) {
                stats.lossTokens += row.targets[t];
            }
            stats.tokens += p.length;
            at += p.length;
        }
        return row;
    }
}
