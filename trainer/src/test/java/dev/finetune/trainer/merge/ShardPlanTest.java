package dev.finetune.trainer.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Files are split as huggingface_hub's split_torch_state_dict_into_shards splits them; sizes parse as transformers'. */
class ShardPlanTest {
    @Test
    void aTensorOverTheLimitGetsAFileOfItsOwnAndOthersFillFilesInOrder() {
        Map<String, Long> bytes = new LinkedHashMap<>();
        bytes.put("a", 40L);
        bytes.put("b", 50L);
        bytes.put("big", 300L);
        bytes.put("c", 20L);
        bytes.put("d", 80L); // 20 + 80 = 100 still fits
        ShardPlan p = ShardPlan.split(bytes, 123, 100);
        // huggingface_hub: "big" is appended on its own while a+b+c keep filling the current file
        assertEquals(3, p.fileCount());
        assertEquals(Collections.singletonList("big"), p.tensors(0));
        assertEquals(Arrays.asList("a", "b"), p.tensors(1));
        assertEquals(Arrays.asList("c", "d"), p.tensors(2));
        assertEquals("model-00002-of-00003.safetensors", p.fileName(1));
        assertEquals(490, p.totalSize());
        assertTrue(p.indexJson().contains("\"total_parameters\": 123,\n    \"total_size\": 490\n"), p.indexJson());
        assertTrue(p.indexJson().contains("    \"big\": \"model-00001-of-00003.safetensors\",\n"), p.indexJson());
    }

    @Test
    void everythingWithinTheLimitIsOneModelSafetensorsWithoutIndex() {
        Map<String, Long> bytes = new LinkedHashMap<>();
        bytes.put("a", 40L);
        bytes.put("b", 60L);
        ShardPlan p = ShardPlan.split(bytes, 50, 100);
        assertEquals(1, p.fileCount());
        assertEquals("model.safetensors", p.fileName(0));
        assertEquals(false, p.needsIndex());
    }

    @Test
    void sizesParseLikeTransformersMaxShardSize() {
        assertEquals(5_000_000_000L, MergeCommand.parseSize("5GB"));
        assertEquals(500_000_000L, MergeCommand.parseSize("500MB"));
        assertEquals(2L << 30, MergeCommand.parseSize("2GiB"));
        assertEquals(1_500_000L, MergeCommand.parseSize("1.5mb"));
        assertEquals(12345L, MergeCommand.parseSize("12345"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> MergeCommand.parseSize("5 gigs"));
        assertTrue(e.getMessage().contains("--max-shard-size = '5 gigs'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MergeCommand.parseSize("0MB"));
    }
}
