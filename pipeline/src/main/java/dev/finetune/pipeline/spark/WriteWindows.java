package dev.finetune.pipeline.spark;

import dev.finetune.pipeline.packing.PackingOptions;
import dev.finetune.pipeline.packing.WindowPacker;
import dev.finetune.pipeline.records.TokenizedDocument;
import dev.finetune.shards.ShardFormat;
import dev.finetune.shards.ShardRow;
import dev.finetune.shards.ShardWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FlatMapFunction;
import scala.Tuple2;

/**
 * Pass three, per shuffled partition (sorted by key, so each window's documents arrive together and in
 * document order): pack each window and write it as one shard of the temporary output. Holds one window at
 * a time.
 */
final class WriteWindows implements FlatMapFunction<Iterator<Tuple2<Long, byte[]>>, WindowResult> {
    private static final long serialVersionUID = 1L;
    private final String tmpDir;
    private final HadoopConf conf;
    private final PackingOptions packing;
    private final long windowDocuments;

    WriteWindows(String tmpDir, HadoopConf conf, PackingOptions packing, long windowDocuments) {
        this.tmpDir = tmpDir;
        this.conf = conf;
        this.packing = packing;
        this.windowDocuments = windowDocuments;
    }

    @Override
    public Iterator<WindowResult> call(Iterator<Tuple2<Long, byte[]>> docs) {
        return new Iterator<WindowResult>() {
            private Tuple2<Long, byte[]> pending = docs.hasNext() ? docs.next() : null;

            @Override
            public boolean hasNext() {
                return pending != null;
            }

            @Override
            public WindowResult next() {
                if (pending == null) {
                    throw new NoSuchElementException();
                }
                int split = SplitAssigner.splitOf(pending._1());
                long window = SplitAssigner.indexOf(pending._1()) / windowDocuments;
                List<TokenizedDocument> batch = new ArrayList<>();
                while (pending != null
                        && SplitAssigner.splitOf(pending._1()) == split
                        && SplitAssigner.indexOf(pending._1()) / windowDocuments == window) {
                    batch.add(DocumentCodec.decode(pending._2()));
                    pending = docs.hasNext() ? docs.next() : null;
                }
                return write(split, window, batch);
            }
        };
    }

    private WindowResult write(int split, long window, List<TokenizedDocument> batch) {
        WindowPacker.Packed packed = new WindowPacker(packing).pack(batch);
        String rel = ShardFormat.shardPath(SplitAssigner.NAMES[split], Math.toIntExact(window));
        Path path = new Path(tmpDir, rel);
        try (ShardWriter w = new ShardWriter(path, conf.get(), packing.maxSeqLength, packed.rows.size())) {
            for (ShardRow r : packed.rows) {
                w.write(r);
            }
            w.close();
            return new WindowResult(split, window, w.describe(rel), packed.stats);
        } catch (IOException e) {
            throw new UncheckedIOException("writing shard " + path + ": " + e.getMessage(), e);
        }
    }
}
