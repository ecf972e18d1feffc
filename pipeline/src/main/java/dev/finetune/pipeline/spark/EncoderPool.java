package dev.finetune.pipeline.spark;

import dev.finetune.pipeline.ingest.RecordEncoderFactory;
import dev.finetune.pipeline.records.RecordEncoder;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Encoders kept per executor JVM: a task borrows one for its partition and returns it, so a JVM creates at
 * most one encoder (one native tokenizer) per concurrently running task, once, not one per partition.
 */
final class EncoderPool {
    private static final Map<String, Queue<RecordEncoder>> IDLE = new ConcurrentHashMap<>();

    private EncoderPool() {}

    static RecordEncoder borrow(RecordEncoderFactory factory) {
        RecordEncoder e = IDLE.computeIfAbsent(factory.cacheKey(), k -> new ConcurrentLinkedQueue<>())
                .poll();
        return e != null ? e : factory.create();
    }

    static void release(RecordEncoderFactory factory, RecordEncoder encoder) {
        IDLE.get(factory.cacheKey()).add(encoder);
    }
}
