package dev.finetune.trainer.nf4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.finetune.trainer.model.ScriptModules;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The TorchScript code lookup (int32 index_select) loads here and gives each code's NF4 value. */
class Nf4LookupTest {

    @Test
    void everyCodeMapsToItsNf4ValueThroughTheTorchScriptLookup() {
        assertTrue(ScriptModules.usable(ScriptModules.NF4_LOOKUP, Device.cpu()), "nf4_lookup.pt does not load");
        int blocks = 5;
        int blockSize = 64;
        byte[] codes = new byte[blocks * blockSize];
        Random r = new Random(7);
        for (int i = 0; i < codes.length; i++) {
            codes[i] = (byte) r.nextInt(16);
        }
        float[] nf4 = Nf4Code.values();
        float[] expected = new float[codes.length];
        for (int i = 0; i < codes.length; i++) {
            expected[i] = nf4[codes[i]];
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            ByteBuffer buf = ByteBuffer.allocateDirect(codes.length);
            buf.put(codes).flip();
            NDArray c = m.create(buf, new Shape(codes.length), DataType.UINT8);
            NDArray values = Nf4Kernels.lookupCodes(c, m.create(nf4), blocks, blockSize);
            assertArrayEquals(new long[] {blocks, blockSize}, values.getShape().getShape());
            assertArrayEquals(expected, values.toFloatArray(), 0f);
        }
    }
}
