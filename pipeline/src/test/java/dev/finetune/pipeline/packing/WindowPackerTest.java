package dev.finetune.pipeline.packing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.pipeline.records.TokenizedDocument;
import dev.finetune.shards.ShardRow;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WindowPackerTest {
    private static final int L = 32;
    private static final int PAD = 151643;

    private static List<TokenizedDocument> randomDocuments(long seed, int count, int maxLength) {
        Random rnd = new Random(seed);
        List<TokenizedDocument> docs = new ArrayList<>();
        for (int d = 0; d < count; d++) {
            int n = rnd.nextInt(maxLength + 1);
            int[] ids = new int[n];
            byte[] targets = new byte[n];
            for (int t = 0; t < n; t++) {
                ids[t] = rnd.nextInt(150_000);
                targets[t] = (byte) (t == 0 ? 0 : rnd.nextInt(2));
            }
            docs.add(new TokenizedDocument(ids, targets));
        }
        return docs;
    }

    /** The pieces the contract promises, computed independently of the packer. */
    private static List<TokenizedDocument> expectedPieces(List<TokenizedDocument> docs, Overflow overflow) {
        List<TokenizedDocument> pieces = new ArrayList<>();
        for (TokenizedDocument d : docs) {
            int n = d.length();
            int end = overflow == Overflow.TRUNCATE ? Math.min(n, L) : n;
            for (int s = 0; s < end; s += L) {
                int e = Math.min(end, s + L);
                byte[] targets = Arrays.copyOfRange(d.targets, s, e);
                targets[0] = 0;
                pieces.add(new TokenizedDocument(Arrays.copyOfRange(d.ids, s, e), targets));
            }
        }
        return pieces;
    }

    /** Splits rows back into their segments, checking the row layout on the way. */
    private static List<TokenizedDocument> unpack(List<ShardRow> rows) {
        List<TokenizedDocument> segments = new ArrayList<>();
        for (ShardRow row : rows) {
            assertEquals(L, row.length());
            int t = 0;
            int expectSegment = 1;
            while (t < L && row.segments[t] != 0) {
                assertEquals(expectSegment, row.segments[t], "segments are numbered 1, 2, 3… in order");
                int s = t;
                while (t < L && row.segments[t] == expectSegment) {
                    t++;
                }
                assertEquals(0, row.targets[s], "a segment's first token is never a target");
                segments.add(new TokenizedDocument(
                        Arrays.copyOfRange(row.ids, s, t), Arrays.copyOfRange(row.targets, s, t)));
                expectSegment++;
            }
            for (; t < L; t++) {
                assertEquals(0, row.segments[t], "padding only after the last segment");
                assertEquals(PAD, row.ids[t]);
                assertEquals(0, row.targets[t], "padding is never a target");
            }
        }
        return segments;
    }

    private static Map<TokenizedDocument, Integer> multiset(List<TokenizedDocument> docs) {
        Map<TokenizedDocument, Integer> m = new HashMap<>();
        for (TokenizedDocument d : docs) {
            if (d.length() > 0) {
                m.merge(d, 1, Integer::sum);
            }
        }
        return m;
    }

    @Test
    void unpackingPackedRowsGivesBackTheDocumentsAndNoSegmentCrossesADocument() {
        for (Overflow overflow : Overflow.values()) {
            for (long seed = 0; seed < 20; seed++) {
                List<TokenizedDocument> docs = randomDocuments(seed, 200, 3 * L);
                WindowPacker.Packed packed = new WindowPacker(new PackingOptions(L, true, overflow, PAD)).pack(docs);
                // Documents up to L tokens come back whole (never split across rows); longer ones as their pieces.
                assertEquals(
                        multiset(expectedPieces(docs, overflow)),
                        multiset(unpack(packed.rows)),
                        overflow + " seed " + seed);
            }
        }
    }

    @Test
    void bestFitDecreasingStaysNearTheLowerBoundOnRows() {
        for (long seed = 0; seed < 20; seed++) {
            List<TokenizedDocument> docs = randomDocuments(seed, 500, L);
            PackStats s = new WindowPacker(new PackingOptions(L, true, Overflow.SPLIT, PAD)).pack(docs).stats;
            long lowerBound = (s.tokens + L - 1) / L;
            // BFD never exceeds 11/9·OPT + 6/9 rows (Dósa 2007), and OPT >= the token lower bound.
            assertTrue(s.rows <= Math.ceil(11.0 / 9.0 * lowerBound) + 1, s.rows + " rows for " + lowerBound);
            assertTrue(s.efficiency() > 0.9, "efficiency " + s.efficiency());
        }
    }

    @Test
    void countsAgreeWithTheRows() {
        List<TokenizedDocument> docs = randomDocuments(7, 300, 3 * L);
        WindowPacker.Packed packed = new WindowPacker(new PackingOptions(L, true, Overflow.SPLIT, PAD)).pack(docs);
        long real = 0;
        long loss = 0;
        for (ShardRow r : packed.rows) {
            real += r.realTokens();
            loss += r.targetTokens();
        }
        PackStats s = packed.stats;
        assertEquals(300, s.documents);
        assertEquals(packed.rows.size(), s.rows);
        assertEquals(real, s.tokens);
        assertEquals(loss, s.lossTokens);
        assertEquals(s.rows * L - real, s.paddingTokens);
        assertEquals(docs.stream().filter(d -> d.length() > L).count(), s.splitDocuments);
        assertEquals((double) real / (s.rows * L), s.efficiency(), 1e-12);
    }

    @Test
    void anOverlongDocumentSplitsIntoFullRowsWhoseContinuationsDoNotTrainTheirFirstToken() {
        int n = 2 * L + 3;
        int[] ids = new int[n];
        byte[] targets = new byte[n];
        for (int t = 0; t < n; t++) {
            ids[t] = 1000 + t;
            targets[t] = (byte) (t == 0 ? 0 : 1);
        }
        WindowPacker.Packed packed = new WindowPacker(new PackingOptions(L, true, Overflow.SPLIT, PAD))
                .pack(Arrays.asList(new TokenizedDocument(ids, targets)));
        assertEquals(3, packed.rows.size());
        assertEquals(1000, packed.rows.get(0).ids[0]);
        assertEquals(1000 + L, packed.rows.get(1).ids[0]);
        assertEquals(0, packed.rows.get(1).targets[0]);
        assertEquals(1, packed.rows.get(1).targets[1]);
        assertEquals(3, packed.rows.get(2).realTokens());
        assertEquals(n - 3, packed.stats.lossTokens); // document start + two continuation starts
        assertEquals(1, packed.stats.splitDocuments);

        WindowPacker.Packed cut = new WindowPacker(new PackingOptions(L, true, Overflow.TRUNCATE, PAD))
                .pack(Arrays.asList(new TokenizedDocument(ids, targets)));
        assertEquals(1, cut.rows.size());
        assertEquals(1, cut.stats.truncatedDocuments);
        assertEquals(L, cut.stats.tokens);
    }

    @Test
    void withPackingOffEachDocumentGetsItsOwnPaddedRowInDocumentOrder() {
        List<TokenizedDocument> docs = randomDocuments(3, 50, L);
        docs.removeIf(d -> d.length() == 0);
        WindowPacker.Packed packed = new WindowPacker(new PackingOptions(L, false, Overflow.SPLIT, PAD)).pack(docs);
        List<TokenizedDocument> segments = unpack(packed.rows);
        assertEquals(expectedPieces(docs, Overflow.SPLIT), segments);
        for (ShardRow r : packed.rows) {
            assertTrue(r.segmentCount() == 1);
        }
    }

    @Test
    void packingIsAPureFunctionOfTheWindow() {
        List<TokenizedDocument> docs = randomDocuments(11, 400, 2 * L);
        PackingOptions o = new PackingOptions(L, true, Overflow.SPLIT, PAD);
        assertEquals(new WindowPacker(o).pack(docs).rows, new WindowPacker(o).pack(new ArrayList<>(docs)).rows);
    }
}
