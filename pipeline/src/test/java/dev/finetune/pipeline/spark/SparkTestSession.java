package dev.finetune.pipeline.spark;

import org.apache.spark.sql.SparkSession;

/** Small local sessions for tests: no UI, few shuffle partitions, loopback only. */
final class SparkTestSession {
    private SparkTestSession() {}

    static SparkSession start(String master) {
        return SparkSession.builder()
                .master(master)
                .appName("pipeline-test")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
    }
}
