package dev.finetune.pipeline.spark;

import org.apache.spark.Partitioner;

/** Sends every document of one packing window to one partition; windows are dealt round-robin. */
final class WindowPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int partitions;
    private final long windowDocuments;
    /** Windows of the splits before each split, so train and validation windows interleave evenly. */
    private final long[] windowOffset;

    WindowPartitioner(int partitions, long windowDocuments, long[] windowOffset) {
        this.partitions = partitions;
        this.windowDocuments = windowDocuments;
        this.windowOffset = windowOffset;
    }

    @Override
    public int numPartitions() {
        return partitions;
    }

    @Override
    public int getPartition(Object key) {
        long k = (Long) key;
        long window = windowOffset[SplitAssigner.splitOf(k)] + SplitAssigner.indexOf(k) / windowDocuments;
        return (int) (window % partitions);
    }

    @Override
    public boolean equals(Object o) {
        return o == this;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
