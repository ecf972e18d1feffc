package dev.finetune.pipeline.spark;

import dev.finetune.pipeline.ingest.RecordEncoderFactory;
import dev.finetune.pipeline.records.RecordEncoder;
import dev.finetune.pipeline.records.TokenizedDocument;
import dev.finetune.shards.Manifest;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A stand-in encoder for testing the job's mechanics: one token per Unicode code point plus an EOS id above
 * every code point, targets as the plain-text contract says (all but the first). Decoding is exact, so
 * round trips need no tokenizer. {@code delayMicros} slows encoding so a child process can be killed mid-run.
 */
final class CodePointEncoderFactory implements RecordEncoderFactory {
    private static final long serialVersionUID = 1L;
    static final int EOS = 0x110000;
    static final int PAD = 0x110001;
    private final String column;
    private final long delayMicros;

    CodePointEncoderFactory(String column, long delayMicros) {
        this.column = column;
        this.delayMicros = delayMicros;
    }

    @Override
    public List<String> columns() {
        return Collections.singletonList(column);
    }

    @Override
    public RecordEncoder create() {
        return new RecordEncoder() {
            @Override
            public TokenizedDocument encode(Map<String, Object> record) {
                Object v = record.get(column);
                if (!(v instanceof String)) {
                    throw new IllegalArgumentException("column \"" + column + "\" is not a string: " + v);
                }
                if (delayMicros > 0) {
                    try {
                        Thread.sleep(delayMicros / 1000, (int) (delayMicros % 1000) * 1000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                int[] cps = ((String) v).codePoints().toArray();
                int[] ids = java.util.Arrays.copyOf(cps, cps.length + 1);
                ids[cps.length] = EOS;
                byte[] targets = new byte[ids.length];
                java.util.Arrays.fill(targets, 1, targets.length, (byte) 1);
                return new TokenizedDocument(ids, targets);
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public boolean onlyStringColumns() {
        return true;
    }

    @Override
    public String cacheKey() {
        return "codepoints:" + column + ":" + delayMicros;
    }

    @Override
    public Manifest.Tokenizer tokenizerInfo() {
        Manifest.Tokenizer t = new Manifest.Tokenizer();
        t.fingerprint = "codepoints";
        t.vocabSize = PAD + 1;
        t.eosToken = "<eos>";
        t.eosTokenId = EOS;
        t.padTokenId = PAD;
        return t;
    }

    @Override
    public Manifest.Template templateInfo() {
        Manifest.Template t = new Manifest.Template();
        t.kind = "text";
        return t;
    }

    /** The text of a run of ids (EOS shown as "<eos>"). */
    static String decode(int[] ids, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            if (ids[i] == EOS) {
                sb.append("<eos>");
            } else {
                sb.appendCodePoint(ids[i]);
            }
        }
        return sb.toString();
    }
}
