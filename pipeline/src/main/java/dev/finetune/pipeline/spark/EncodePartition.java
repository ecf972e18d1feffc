package dev.finetune.pipeline.spark;

import dev.finetune.pipeline.ingest.FileFormat;
import dev.finetune.pipeline.ingest.InputFiles;
import dev.finetune.pipeline.ingest.RecordEncoderFactory;
import dev.finetune.pipeline.records.RecordEncoder;
import dev.finetune.pipeline.records.TokenizedDocument;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

/**
 * Pass two, per partition: record → encoder → (split key, document bytes), streamed row by row. Rows are
 * the encoder's columns followed by the file name and the monotonically increasing id.
 */
final class EncodePartition implements PairFlatMapFunction<Iterator<Row>, Long, byte[]> {
    private static final long serialVersionUID = 1L;
    private final RecordEncoderFactory factory;
    private final Broadcast<DocumentOrder> order;
    private final SplitAssigner assigner;
    private final LongAccumulator documents;
    private final LongAccumulator tokens;
    private final FileFormat format;
    private final String label;
    private final HadoopConf conf;

    EncodePartition(
            RecordEncoderFactory factory,
            Broadcast<DocumentOrder> order,
            SplitAssigner assigner,
            LongAccumulator documents,
            LongAccumulator tokens,
            FileFormat format,
            String label,
            HadoopConf conf) {
        this.format = format;
        this.label = label;
        this.conf = conf;
        this.factory = factory;
        this.order = order;
        this.assigner = assigner;
        this.documents = documents;
        this.tokens = tokens;
    }

    @Override
    public Iterator<Tuple2<Long, byte[]>> call(Iterator<Row> rows) {
        List<String> columns = factory.columns();
        DocumentOrder ord = order.value();
        RecordEncoder encoder = EncoderPool.borrow(factory);
        return new Iterator<Tuple2<Long, byte[]>>() {
            private boolean released;

            @Override
            public boolean hasNext() {
                boolean more = rows.hasNext();
                if (!more && !released) {
                    released = true;
                    EncoderPool.release(factory, encoder);
                }
                return more;
            }

            @Override
            public Tuple2<Long, byte[]> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Row row = rows.next();
                String file = row.getString(columns.size());
                long global = ord.globalIndex(file, row.getLong(columns.size() + 1));
                TokenizedDocument doc;
                try {
                    doc = encoder.encode(RowConverter.record(row, columns));
                } catch (RuntimeException e) {
                    // Spark reads a line that is not JSON (or not UTF-8) as a row of nulls: name the line instead
                    String problem = format == FileFormat.PARQUET
                            ? null
                            : PrepareJob.problem(
                                    new InputFiles(format, java.util.Collections.singletonList(file)), conf.get());
                    if (problem != null) {
                        throw new IllegalArgumentException(label + ": " + problem, e);
                    }
                    throw new IllegalArgumentException("record " + global + " (" + file + "): " + e.getMessage(), e);
                }
                documents.add(1);
                tokens.add(doc.length());
                int split = assigner.split(global);
                return new Tuple2<>(SplitAssigner.key(split, assigner.index(global)), DocumentCodec.encode(doc));
            }
        };
    }
}
