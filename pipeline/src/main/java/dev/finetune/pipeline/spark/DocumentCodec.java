package dev.finetune.pipeline.spark;

import dev.finetune.pipeline.records.TokenizedDocument;

/**
 * A document as shuffle bytes: one little-endian u32 per token, the target flag in the top bit (token ids
 * stay below 2^31). A byte[] costs the shuffle far less than a serialized object.
 */
final class DocumentCodec {
    private DocumentCodec() {}

    static byte[] encode(TokenizedDocument d) {
        byte[] b = new byte[4 * d.length()];
        for (int t = 0, o = 0; t < d.length(); t++, o += 4) {
            int v = d.ids[t] | (d.targets[t] != 0 ? 0x80000000 : 0);
            b[o] = (byte) v;
            b[o + 1] = (byte) (v >>> 8);
            b[o + 2] = (byte) (v >>> 16);
            b[o + 3] = (byte) (v >>> 24);
        }
        return b;
    }

    static TokenizedDocument decode(byte[] b) {
        int n = b.length / 4;
        int[] ids = new int[n];
        byte[] targets = new byte[n];
        for (int t = 0, o = 0; t < n; t++, o += 4) {
            int v = (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8 | (b[o + 2] & 0xFF) << 16 | (b[o + 3] & 0xFF) << 24;
            ids[t] = v & 0x7FFFFFFF;
            targets[t] = (byte) (v >>> 31);
        }
        return new TokenizedDocument(ids, targets);
    }
}
