package dev.finetune.pipeline.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;

/**
 * The documents' global order: by input file (sorted path), then by position in the file. Spark's file
 * partitions depend on cores and sizes, so the order is reconstructed: a first pass collects, per partition,
 * the runs of consecutive rows of one file with their {@code monotonically_increasing_id} (partition index
 * in the high bits, row number within the partition below); sorting the runs by (file, first id) gives each
 * run's global start. A row's global index is then its run's start plus its offset in the run. Both passes
 * read the same scan, so they see the same partitions.
 */
final class DocumentOrder implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Consecutive rows of one file within one Spark partition. */
    static final class Run implements Serializable {
        private static final long serialVersionUID = 1L;
        final String file;
        final long firstId;
        long count;
        long globalStart;

        Run(String file, long firstId) {
            this.file = file;
            this.firstId = firstId;
        }
    }

    private final Map<String, Run> byPartitionAndFile = new HashMap<>();
    private final long documents;
    private final int files;

    DocumentOrder(List<Run> runs) {
        List<Run> sorted = new ArrayList<>(runs);
        sorted.sort(Comparator.<Run, String>comparing(r -> r.file).thenComparingLong(r -> r.firstId));
        long start = 0;
        for (Run r : sorted) {
            r.globalStart = start;
            start += r.count;
            byPartitionAndFile.put(key(partition(r.firstId), r.file), r);
        }
        this.documents = start;
        this.files = (int) sorted.stream().map(r -> r.file).distinct().count();
    }

    long documents() {
        return documents;
    }

    int files() {
        return files;
    }

    /** Global index of the row with this file and monotonically increasing id. */
    long globalIndex(String file, long id) {
        Run r = byPartitionAndFile.get(key(partition(id), file));
        if (r == null || id < r.firstId || id >= r.firstId + r.count) {
            throw new IllegalStateException("row " + id + " of " + file + " was not seen by the ordering pass; "
                    + "the input changed while the job ran");
        }
        return r.globalStart + (id - r.firstId);
    }

    /** Pass one, per partition: rows of (file, id) → runs. */
    static Iterator<Run> runs(Iterator<Row> rows) {
        List<Run> runs = new ArrayList<>();
        Run current = null;
        while (rows.hasNext()) {
            Row row = rows.next();
            String file = row.getString(0);
            long id = row.getLong(1);
            if (current == null || !current.file.equals(file) || id != current.firstId + current.count) {
                current = new Run(file, id);
                runs.add(current);
            }
            current.count++;
        }
        return runs.iterator();
    }

    private static long partition(long id) {
        return id >>> 33;
    }

    private static String key(long partition, String file) {
        return partition + "\u0000" + file;
    }
}
