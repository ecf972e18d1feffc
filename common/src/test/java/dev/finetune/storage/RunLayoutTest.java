package dev.finetune.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;

/** One run's folders, whatever file system and however base_save_dir is written. */
class RunLayoutTest {

    @Test
    void everyFolderIsAChildOfTheRunFolderWithOrWithoutATrailingSlash() {
        for (String base : new String[] {"gs://bucket/runs", "gs://bucket/runs/", "/content/drive/MyDrive/x/"}) {
            RunLayout l = RunLayout.of(base, "p");
            Path run = new Path(l.runDir());
            assertEquals(new Path(base.replaceAll("/$", "") + "/p"), run, base);
            assertEquals(new Path(run, RunLayout.DATA), new Path(l.dataDir()));
            assertEquals(new Path(run, RunLayout.FINAL), new Path(l.finalDir()));
            assertEquals(new Path(run, RunLayout.MERGED), new Path(l.mergedDir()));
            assertEquals(
                    new Path(new Path(run, RunLayout.CHECKPOINTS), "checkpoint-40"), new Path(l.checkpointDir(40)));
            assertEquals(new Path(new Path(run, RunLayout.LOGS), "metrics-12.jsonl"), new Path(l.metricsFile(12)));
            assertEquals(new Path(new Path(run, RunLayout.LOGS), "finetune.log"), new Path(l.logFile()));
        }
    }

    @Test
    void shardsDirMovesOnlyTheShards() {
        RunLayout l = RunLayout.of("/o", "p");
        RunLayout moved = l.withShardsDir("gs://b/shards");
        assertEquals("gs://b/shards", moved.dataDir());
        assertEquals(l.finalDir(), moved.finalDir());
        assertEquals(l.logsDir(), moved.logsDir());
        assertEquals(l.dataDir(), moved.withShardsDir("").dataDir());
        assertEquals(l.dataDir(), l.withShardsDir(null).dataDir());
    }
}
