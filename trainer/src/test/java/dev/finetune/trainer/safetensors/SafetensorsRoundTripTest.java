package dev.finetune.trainer.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Collections;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader and writer agree with each other, with torch's rounding, and with files transformers wrote. */
class SafetensorsRoundTripTest {
    @TempDir
    Path tmp;

    static final float[] VALUES = {
        0f,
        -0f,
        1f,
        -2.5f,
        3.14159265f,
        1e-8f,
        65504f,
        70000f,
        -1e-3f,
        0.1f,
        1.00390625f,
        Float.MIN_NORMAL,
        6.1e-5f,
        5.96e-8f,
        Float.POSITIVE_INFINITY
    };

    @Test
    void writtenF32F16Bf16AndI64ReadBackWithTorchRounding() throws Exception {
        Path f = tmp.resolve("t.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(
                f,
                SafetensorsWriter.ptMetadata(),
                Arrays.asList(
                        new SafetensorsWriter.Spec("a32", SafetensorsDType.F32, 3, 5),
                        new SafetensorsWriter.Spec("a16", SafetensorsDType.F16, 15),
                        new SafetensorsWriter.Spec("abf", SafetensorsDType.BF16, 15),
                        new SafetensorsWriter.Spec("ids", SafetensorsDType.I64, 2)))) {
            w.write("a32", VALUES);
            w.write("a16", VALUES);
            w.write("abf", VALUES);
            w.write("ids", new long[] {151645L, -100L});
        }
        try (SafetensorsFile r = SafetensorsFile.open(f);
                NDManager m = NDManager.newBaseManager()) {
            assertEquals(Collections.singletonMap("format", "pt"), r.metadata());
            assertArrayEquals(VALUES, r.readFloats("a32"));
            assertArrayEquals(new long[] {3, 5}, r.info("a32").shape());
            assertArrayEquals(new long[] {151645L, -100L}, r.readLongs("ids"));
            // torch's own conversions are the reference: FP32 → FP16 through DJL (PyTorch's cast)
            float[] viaTorch16 = m.create(VALUES)
                    .toType(DataType.FLOAT16, false)
                    .toType(DataType.FLOAT32, false)
                    .toFloatArray();
            assertArrayEquals(viaTorch16, r.readFloats("a16"));
            NDArray loaded16 = r.load("a16", m, DataType.FLOAT16);
            assertEquals(DataType.FLOAT16, loaded16.getDataType());
            assertArrayEquals(
                    viaTorch16, loaded16.toType(DataType.FLOAT32, false).toFloatArray());
            // BF16 = the top half of FP32 bits after round-to-nearest-even
            float[] bf = r.readFloats("abf");
            for (int i = 0; i < VALUES.length; i++) {
                float v = VALUES[i];
                float expected = Float.intBitsToFloat(roundBf16(Float.floatToIntBits(v)) << 16);
                assertEquals(expected, bf[i], 0f, "bf16 of " + v);
                assertTrue(Math.abs(bf[i] - v) <= Math.abs(v) / 256 || Float.isInfinite(v), "bf16 close to " + v);
            }
            assertArrayEquals(bf, r.load("abf", m, DataType.FLOAT32).toFloatArray());
        }
    }

    private static int roundBf16(int bits) {
        long b = bits & 0xFFFFFFFFL;
        long lsb = (b >> 16) & 1;
        return (int) ((b + 0x7FFF + lsb) >> 16) & 0xFFFF;
    }

    @Test
    void readsTheBf16CheckpointTransformersWrote() throws Exception {
        Path model = Paths.get(System.getProperty("fixtures.dir"), "reference/models/llama/base/model.safetensors");
        Path merged = Paths.get(System.getProperty("fixtures.dir"), "reference/models/llama/logits_base.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(model);
                SafetensorsFile g = SafetensorsFile.open(merged)) {
            assertEquals(SafetensorsDType.BF16, f.info("model.norm.weight").dtype());
            float[] norm = f.readFloats("model.norm.weight");
            assertEquals(64, norm.length);
            for (float v : norm) {
                assertEquals(v, Float.intBitsToFloat(Float.floatToIntBits(v) & 0xFFFF0000), 0f, "exact bf16 value");
                assertTrue(v > 0.5f && v < 1.5f, "norm weights were made as 1 + 0.1·N(0,1): " + v);
            }
            assertEquals(SafetensorsDType.F32, g.info("logits").dtype());
        }
    }

    @Test
    void loadedTensorsOwnTheirMemoryAndCanBeUpdatedInPlace() throws Exception {
        Path f = tmp.resolve("w.safetensors");
        write(f, "w", new float[] {1, 2, 3});
        try (SafetensorsFile r = SafetensorsFile.open(f);
                NDManager m = NDManager.newBaseManager()) {
            NDArray w = r.load("w", m, DataType.FLOAT32);
            w.addi(10f); // an optimizer step on resumed LoRA weights: must not write into the read-only mapping
            assertArrayEquals(new float[] {11, 12, 13}, w.toFloatArray());
            assertArrayEquals(new float[] {1, 2, 3}, r.readFloats("w"));
        }
    }

    @Test
    void shardedCheckpointFollowsTheIndex() throws Exception {
        write(tmp.resolve("model-00001-of-00002.safetensors"), "a", new float[] {1, 2});
        write(tmp.resolve("model-00002-of-00002.safetensors"), "b", new float[] {3});
        Files.write(
                tmp.resolve(SafetensorsCheckpoint.INDEX_FILE),
                ("{\"metadata\":{},\"weight_map\":{"
                                + "\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}}")
                        .getBytes(StandardCharsets.UTF_8));
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(tmp)) {
            assertArrayEquals(new float[] {1, 2}, c.readFloats("a"));
            assertArrayEquals(new float[] {3}, c.readFloats("b"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.info("c"));
            assertTrue(e.getMessage().contains("'c'"), e.getMessage());
        }
    }

    @Test
    void aMissingShardIsNamed() throws Exception {
        Files.write(
                tmp.resolve(SafetensorsCheckpoint.INDEX_FILE),
                "{\"weight_map\":{\"a\":\"model-00001-of-00009.safetensors\"}}".getBytes(StandardCharsets.UTF_8));
        Exception e = assertThrows(java.io.IOException.class, () -> SafetensorsCheckpoint.open(tmp));
        assertTrue(e.getMessage().contains("model-00001-of-00009.safetensors"), e.getMessage());
    }

    @Test
    void tensorsBeyondTwoGibibytesAreRead() throws Exception {
        // a sparse file: 2.5 GiB of zeros (not stored on disk), then one F32 tensor
        long gap = 5L << 29;
        byte[] header = ("{\"pad\":{\"dtype\":\"U8\",\"shape\":[" + gap + "],\"data_offsets\":[0," + gap + "]},"
                        + "\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + gap + "," + (gap + 8) + "]}}")
                .getBytes(StandardCharsets.UTF_8);
        Path f = tmp.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            ByteBuffer len =
                    ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            raf.write(len.array());
            raf.write(header);
            raf.seek(8 + header.length + gap);
            ByteBuffer data = ByteBuffer.allocate(8)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putFloat(0, 1.5f)
                    .putFloat(4, -7f);
            raf.write(data.array());
        }
        try (SafetensorsFile r = SafetensorsFile.open(f);
                NDManager m = NDManager.newBaseManager()) {
            assertArrayEquals(
                    new float[] {1.5f, -7f}, r.load("x", m, DataType.FLOAT32).toFloatArray());
        } finally {
            Files.delete(f);
        }
    }

    @Test
    void aTruncatedFileIsRefusedWithItsName() throws Exception {
        Path f = tmp.resolve("cut.safetensors");
        write(f, "a", new float[] {1, 2, 3});
        byte[] all = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(all, all.length - 4));
        Exception e = assertThrows(java.io.IOException.class, () -> SafetensorsFile.open(f));
        assertTrue(
                e.getMessage().contains("cut.safetensors") && e.getMessage().contains("data_offsets"), e.getMessage());
    }

    @Test
    void aTensorWrittenInPartsOnAStreamReadsBackWholeAndInRanges() throws Exception {
        float[] v = new float[1000];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.sin(i) * 100;
        }
        Path f = tmp.resolve("parts.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(
                Files.newOutputStream(f),
                f.toString(),
                SafetensorsWriter.ptMetadata(),
                Arrays.asList(
                        new SafetensorsWriter.Spec("x", SafetensorsDType.BF16, 10, 100),
                        new SafetensorsWriter.Spec("empty", SafetensorsDType.F32, 0),
                        new SafetensorsWriter.Spec("y", SafetensorsDType.F32, 3)))) {
            w.writePart("x", Arrays.copyOfRange(v, 0, 300), 300);
            w.writePart("x", Arrays.copyOfRange(v, 300, 1000), 700);
            w.writePart("empty", new float[0], 0);
            w.write("y", new float[] {1, 2, 3});
        }
        float[] whole = new float[v.length];
        try (SafetensorsFile r = SafetensorsFile.open(f)) {
            assertArrayEquals(new long[] {10, 100}, r.info("x").shape());
            float[] part = new float[250];
            r.readFloats("x", 500, part, 250);
            System.arraycopy(r.readFloats("x"), 0, whole, 0, whole.length);
            assertArrayEquals(Arrays.copyOfRange(whole, 500, 750), part);
            assertArrayEquals(new float[] {1, 2, 3}, r.readFloats("y"));
            assertEquals(0, r.readFloats("empty").length);
        }
        for (int i = 0; i < v.length; i++) {
            assertEquals(Half.bf16ToFloat(Half.floatToBf16(v[i])), whole[i], "element " + i);
        }
    }

    @Test
    void aStreamedFileMissingATensorPartFailsOnClose() throws Exception {
        Path f = tmp.resolve("short.safetensors");
        SafetensorsWriter w = SafetensorsWriter.create(
                Files.newOutputStream(f),
                f.toString(),
                null,
                Collections.singletonList(new SafetensorsWriter.Spec("x", SafetensorsDType.F32, 10)));
        w.writePart("x", new float[4], 4);
        IllegalStateException e = assertThrows(IllegalStateException.class, w::close);
        assertTrue(
                e.getMessage().contains("short.safetensors") && e.getMessage().contains("incomplete"), e.getMessage());
    }

    private static void write(Path f, String name, float[] v) throws Exception {
        try (SafetensorsWriter w = SafetensorsWriter.create(
                f, null, Collections.singletonList(new SafetensorsWriter.Spec(name, SafetensorsDType.F32, v.length)))) {
            w.write(name, v);
        }
    }
}
