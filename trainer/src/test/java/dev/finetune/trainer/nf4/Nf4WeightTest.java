package dev.finetune.trainer.nf4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.finetune.trainer.tensor.ScriptModules;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The device path (DJL ops, CPU here) against a host reference written from bitsandbytes' format (docs/formats.md), against NF4's
 * theoretical error on N(0,1) blocks, and against itself through the other storage and the bitsandbytes layout.
 */
class Nf4WeightTest {

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static float[] normal(int n, long seed, double sigma) {
        Random rnd = new Random(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) (rnd.nextGaussian() * sigma);
        }
        return w;
    }

    private static Nf4Options plain() {
        return Nf4Options.defaults(DataType.FLOAT32).withDoubleQuant(false);
    }

    @Test
    void deviceCodesAndAbsmaxEqualTheHostReferenceAcrossRowBoundaries() {
        int out = 37;
        int in = 45; // 1665 weights: blocks run across rows and the last block is short
        float[] w = normal(out * in, 4, 0.02);
        try (NDArray weight = manager.create(w, new Shape(out, in));
                Nf4Weight q = Nf4Weight.quantize(weight, plain(), manager)) {
            byte[] codes = q.codes();
            float[] absmax = q.plainAbsmax();
            assertEquals((out * in + 63) / 64, absmax.length);
            for (int b = 0; b < absmax.length; b++) {
                float max = 0;
                for (int i = b * 64; i < Math.min(w.length, b * 64 + 64); i++) {
                    max = Math.max(max, Math.abs(w[i]));
                }
                assertEquals(max, absmax[b], 0f, "absmax of block " + b);
                float inv = 1.0f / max;
                for (int i = b * 64; i < Math.min(w.length, b * 64 + 64); i++) {
                    assertEquals(Nf4Code.encode(w[i] * inv), codes[i], "code of element " + i);
                }
            }
            try (NDManager scope = manager.newSubManager()) {
                float[] deq = q.materialize(scope).toFloatArray();
                float[] table = Nf4Code.values();
                for (int i = 0; i < w.length; i++) {
                    assertEquals(table[codes[i]] * absmax[i / 64], deq[i], 0f, "dequantized element " + i);
                }
            }
        }
    }

    @Test
    void quantizationErrorOnStandardNormalBlocksMatchesNf4Theory() {
        // theory: MSE = (63/64) E_a[ E[(x - a·NF4(x/a))² | |x| <= a] ], a = max of 64 |N(0,1)|; the max
        // element itself is exact. Numerical integration gives 0.008460 (RMSE 0.0920).
        double theory = Nf4Theory.meanSquaredError(64);
        assertEquals(0.00846, theory, 0.00002);
        int n = 1 << 20;
        float[] w = normal(n, 5, 1.0);
        try (NDArray weight = manager.create(w, new Shape(1024, 1024));
                Nf4Weight q = Nf4Weight.quantize(weight, plain(), manager);
                NDManager scope = manager.newSubManager()) {
            float[] deq = q.materialize(scope).toFloatArray();
            double se = 0;
            for (int i = 0; i < n; i++) {
                se += (deq[i] - w[i]) * (double) (deq[i] - w[i]);
            }
            double mse = se / n;
            // 16,384 blocks: the sampling error of the MSE is about 0.3 %; allow 2 %
            assertEquals(theory, mse, 0.02 * theory, "MSE of NF4 on N(0,1) blocks of 64");
        }
    }

    @Test
    void doubleQuantizationAddsLittleErrorOverPlainAbsmax() {
        float[] w = normal(512 * 768, 6, 0.02);
        try (NDArray weight = manager.create(w, new Shape(512, 768));
                Nf4Weight plainQ = Nf4Weight.quantize(weight, plain(), manager);
                Nf4Weight dq = Nf4Weight.quantize(weight, Nf4Options.defaults(DataType.FLOAT32), manager);
                NDManager scope = manager.newSubManager()) {
            assertArrayEquals(plainQ.codes(), dq.codes(), "double quantization changes the scales, not the codes");
            double msePlain = mse(w, plainQ.materialize(scope).toFloatArray());
            double mseDq = mse(w, dq.materialize(scope).toFloatArray());
            assertTrue(mseDq < msePlain * 1.01, "double quant MSE " + mseDq + " vs plain " + msePlain);
            float[] exact = plainQ.plainAbsmax();
            float[] scales = dq.blockScales(scope).toFloatArray();
            float[] host = dq.doubleQuantState().dequantize();
            assertArrayEquals(host, scales, 0f, "device absmax dequantization equals the host formula");
            for (int b = 0; b < exact.length; b++) {
                assertEquals(exact[b], scales[b], 0.01 * exact[b], "absmax of block " + b);
            }
        }
    }

    @Test
    void theOneCallTorchScriptDequantizationEqualsTheOpByOpOneBitForBit() {
        assertTrue(
                ScriptModules.usable(ScriptModules.NF4_DEQUANT, manager.getDevice()), "nf4_dequant.pt does not load");
        float[] w = normal(37 * 300, 11, 0.05); // 11,100 elements: the last block of 64 is padded
        for (DataType compute : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
            try (NDArray weight = manager.create(w, new Shape(37, 300));
                    Nf4Weight q = Nf4Weight.quantize(weight, Nf4Options.defaults(compute), manager);
                    NDManager scope = manager.newSubManager()) {
                NDArray fused = q.materialize(scope);
                NDArray ops = q.materializeWithOps(scope);
                assertEquals(ops.getShape(), fused.getShape());
                assertEquals(compute, fused.getDataType());
                assertArrayEquals(
                        ops.toType(DataType.FLOAT32, false).toFloatArray(),
                        fused.toType(DataType.FLOAT32, false).toFloatArray(),
                        0f,
                        compute.toString());
            }
        }
    }

    @Test
    void packedCodesDequantizeToTheirNf4ValueTimesTheBlockScaleInHalfAByteEach() {
        float[] w = normal(256 * 520, 7, 0.05);
        try (NDArray weight = manager.create(w, new Shape(256, 520));
                Nf4Weight q = Nf4Weight.quantize(weight, Nf4Options.defaults(DataType.FLOAT32), manager);
                NDManager scope = manager.newSubManager()) {
            byte[] codes = q.codes();
            float[] scales = q.blockScales(scope).toFloatArray();
            float[] nf4 = Nf4Code.values();
            float[] got = q.materialize(scope).toFloatArray();
            for (int i = 0; i < w.length; i++) {
                assertEquals(nf4[codes[i]] * scales[i / 64], got[i], 0f, "element " + i);
            }
            assertTrue(q.storageBytes() < w.length * 0.55, q.storageBytes() + " bytes for " + w.length + " weights");
        }
    }

    @Test
    void fp16ComputeIsWithinTwoHalfRoundingsOfFp32() {
        float[] w = normal(128 * 256, 8, 0.02);
        try (NDArray weight = manager.create(w, new Shape(128, 256));
                Nf4Weight f32 = Nf4Weight.quantize(weight, Nf4Options.defaults(DataType.FLOAT32), manager);
                Nf4Weight f16 = Nf4Weight.quantize(weight, Nf4Options.defaults(DataType.FLOAT16), manager);
                NDManager scope = manager.newSubManager()) {
            NDArray h = f16.materialize(scope);
            assertEquals(DataType.FLOAT16, h.getDataType());
            assertEquals(new Shape(128, 256), h.getShape());
            float[] x = f32.materialize(scope).toFloatArray();
            float[] y = h.toType(DataType.FLOAT32, false).toFloatArray();
            for (int i = 0; i < x.length; i++) {
                assertEquals(x[i], y[i], Math.abs(x[i]) * 1.5e-3 + 1e-7, "element " + i);
            }
        }
    }

    @Test
    void bitsandbytesStateDictHasTheSpecLayoutAndRoundTrips() {
        float[] w = normal(64 * 100, 9, 0.02);
        for (boolean doubleQuant : new boolean[] {true, false}) {
            Nf4Options o = Nf4Options.defaults(DataType.FLOAT32).withDoubleQuant(doubleQuant);
            String key = "model.layers.0.mlp.down_proj.weight";
            try (NDArray weight = manager.create(w, new Shape(64, 100));
                    Nf4Weight q = Nf4Weight.quantize(weight, o, manager);
                    NDManager host = manager.newSubManager()) {
                Map<String, NDArray> sd = BnbNf4Tensors.toStateDict(q, key, "bfloat16", host);
                NDArray packed = sd.get(key);
                assertEquals(new Shape(3200, 1), packed.getShape());
                assertEquals(DataType.UINT8, packed.getDataType());
                byte[] codes = q.codes();
                byte[] bytes = packed.toByteArray();
                for (int k = 0; k < bytes.length; k++) {
                    assertEquals((codes[2 * k] << 4) | codes[2 * k + 1], bytes[k] & 0xFF, "byte " + k);
                }
                assertEquals(
                        doubleQuant ? DataType.UINT8 : DataType.FLOAT32,
                        sd.get(key + ".absmax").getDataType());
                assertEquals(100, sd.get(key + ".absmax").size());
                assertEquals(doubleQuant, sd.containsKey(key + ".nested_absmax"));
                String json = new String(
                        sd.get(key + ".quant_state.bitsandbytes__nf4").toByteArray(),
                        java.nio.charset.StandardCharsets.UTF_8);
                assertTrue(
                        json.contains("\"quant_type\":\"nf4\"")
                                && json.contains("\"blocksize\":64")
                                && json.contains("\"shape\":[64,100]")
                                && json.contains("\"dtype\":\"bfloat16\""),
                        json);
                assertEquals(doubleQuant, json.contains("\"nested_blocksize\":256"), json);
                try (Nf4Weight back = BnbNf4Tensors.fromStateDict(sd, key, o, manager)) {
                    assertArrayEquals(
                            q.materialize(host).toFloatArray(),
                            back.materialize(host).toFloatArray(),
                            0f,
                            "round trip, double quant " + doubleQuant);
                }
            }
        }
    }

    @Test
    void materializeLeavesNothingBehindInTheWeightsManager() {
        float[] w = normal(64 * 64, 10, 0.02);
        try (NDManager model = manager.newSubManager()) {
            try (NDArray weight = model.create(w, new Shape(64, 64))) {
                Nf4Weight q = Nf4Weight.quantize(weight, Nf4Options.defaults(DataType.FLOAT32), model);
                int before = model.getManagedArrays().size();
                for (int step = 0; step < 20; step++) {
                    try (NDManager scope = manager.newSubManager()) {
                        q.materialize(scope).sum().getFloat();
                    }
                }
                assertEquals(before, model.getManagedArrays().size(), "arrays held by the model's manager");
                q.close();
            }
        }
    }

    private static double mse(float[] a, float[] b) {
        double se = 0;
        for (int i = 0; i < a.length; i++) {
            se += (a[i] - b[i]) * (double) (a[i] - b[i]);
        }
        return se / a.length;
    }
}
