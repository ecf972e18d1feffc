package dev.finetune.trainer.nf4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.finetune.trainer.tensor.ScriptModules;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * nf4_words.pt reads each packed byte's two table values as one word and multiplies by the block scales: in FP32
 * on the CPU its values are, bit for bit, the pair lookup times the scales (value j of block b is
 * lut[byte][j % 2] · scale[b], byte = codes[(b·B + j) / 2]), for every one of the 256 byte values; so is
 * Nf4Kernels.lookupScaled, which the layer groups dequantize through.
 */
class Nf4WordsTest {

    private static final int BLOCKS = 12;
    private static final int BLOCK_SIZE = 64;

    @Test
    void theWordsModuleGivesThePairLookupTimesTheScalesBitForBit() {
        assertTrue(ScriptModules.usable(ScriptModules.NF4_WORDS, Device.cpu()), "nf4_words.pt does not load");
        Random r = new Random(5);
        byte[] codes = new byte[BLOCKS * BLOCK_SIZE / 2];
        for (int i = 0; i < codes.length; i++) {
            codes[i] = (byte) (i < 256 ? i : r.nextInt(256)); // every byte value, then random ones
        }
        float[] lut = new float[256 * 2];
        for (int i = 0; i < lut.length; i++) {
            lut[i] = (float) r.nextGaussian(); // distinct values: a swapped nibble or byte shows
        }
        float[] scales = new float[BLOCKS];
        for (int i = 0; i < scales.length; i++) {
            scales[i] = (float) (r.nextDouble() * 0.1);
        }
        float[] expected = new float[BLOCKS * BLOCK_SIZE];
        for (int b = 0; b < BLOCKS; b++) {
            for (int j = 0; j < BLOCK_SIZE; j++) {
                int at = b * BLOCK_SIZE + j;
                int code = codes[at / 2] & 0xff;
                expected[at] = lut[code * 2 + j % 2] * scales[b];
            }
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray bytes = uint8(m, codes);
            NDArray table = m.create(lut, new Shape(256, 2));
            NDArray s = m.create(scales, new Shape(BLOCKS, 1));
            NDArray words = ScriptModules.call(ScriptModules.NF4_WORDS, table, bytes, s);
            assertBits(expected, words, "module");
            assertBits(expected, Nf4Kernels.lookupScaled(bytes, table, s, BLOCKS, BLOCK_SIZE), "lookupScaled");
            NDArray pairs = Nf4Kernels.lookup(bytes, table, BLOCKS, BLOCK_SIZE).mul(s);
            assertBits(expected, pairs, "pair lookup");
        }
    }

    private static void assertBits(float[] expected, NDArray values, String path) {
        assertArrayEquals(new long[] {BLOCKS, BLOCK_SIZE}, values.getShape().getShape(), path);
        assertEquals(DataType.FLOAT32, values.getDataType(), path);
        float[] got = values.toFloatArray();
        int[] want = new int[expected.length];
        int[] have = new int[got.length];
        for (int i = 0; i < expected.length; i++) {
            want[i] = Float.floatToRawIntBits(expected[i]);
            have[i] = Float.floatToRawIntBits(got[i]);
        }
        assertArrayEquals(want, have, path);
    }

    private static NDArray uint8(NDManager m, byte[] bytes) {
        ByteBuffer buf = ByteBuffer.allocateDirect(bytes.length);
        buf.put(bytes).flip();
        return m.create(buf, new Shape(bytes.length), DataType.UINT8);
    }
}
