package dev.finetune.trainer.nf4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
 * Code lookup of packed bytes: the TorchScript module (int32 index_select) loads here and, like the take
 * fallback, gives each code its NF4 value, the high nibble first (bitsandbytes' order).
 */
class Nf4LookupTest {

    private static final int BLOCKS = 5;
    private static final int BLOCK_SIZE = 64;

    @Test
    void everyCodeMapsToItsNf4ValueThroughTheModuleAndThroughTake() {
        assertTrue(ScriptModules.usable(ScriptModules.NF4_LOOKUP, Device.cpu()), "nf4_lookup.pt does not load");
        byte[] codes = new byte[BLOCKS * BLOCK_SIZE];
        Random r = new Random(7);
        for (int i = 0; i < codes.length; i++) {
            codes[i] = (byte) r.nextInt(16);
        }
        float[] nf4 = Nf4Code.values();
        float[] expected = new float[codes.length];
        for (int i = 0; i < codes.length; i++) {
            expected[i] = nf4[codes[i]];
        }
        byte[] packed = Nf4Packing.pack(codes);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray bytes = uint8(m, packed);
            NDArray pairs = m.create(Nf4Kernels.nibblePairs(), new Shape(256, 2));
            assertValues(expected, Nf4Kernels.lookup(bytes, pairs, BLOCKS, BLOCK_SIZE), "module");
            assertValues(expected, Nf4Kernels.lookupWithTake(bytes, pairs, BLOCKS, BLOCK_SIZE), "take");
        }
    }

    private static void assertValues(float[] expected, NDArray values, String path) {
        assertArrayEquals(new long[] {BLOCKS, BLOCK_SIZE}, values.getShape().getShape(), path);
        assertArrayEquals(expected, values.toFloatArray(), 0f, path);
    }

    private static NDArray uint8(NDManager m, byte[] bytes) {
        ByteBuffer buf = ByteBuffer.allocateDirect(bytes.length);
        buf.put(bytes).flip();
        return m.create(buf, new Shape(bytes.length), DataType.UINT8);
    }
}
