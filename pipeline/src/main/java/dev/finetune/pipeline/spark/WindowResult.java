package dev.finetune.pipeline.spark;

import dev.finetune.pipeline.packing.PackStats;
import dev.finetune.shards.Manifest;
import java.io.Serializable;

/** What a task reports for one written shard (one packing window). */
final class WindowResult implements Serializable {
    private static final long serialVersionUID = 1L;
    final int split;
    final long window;
    final String file;
    final long rows;
    final long bytes;
    final String sha256;
    final PackStats stats;

    WindowResult(int split, long window, Manifest.Shard shard, PackStats stats) {
        this.split = split;
        this.window = window;
        this.file = shard.file;
        this.rows = shard.rows;
        this.bytes = shard.bytes;
        this.sha256 = shard.sha256;
        this.stats = stats;
    }

    Manifest.Shard shard() {
        Manifest.Shard s = new Manifest.Shard();
        s.file = file;
        s.rows = rows;
        s.bytes = bytes;
        s.sha256 = sha256;
        return s;
    }
}
