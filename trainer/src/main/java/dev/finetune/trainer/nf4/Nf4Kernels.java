package dev.finetune.trainer.nf4;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.finetune.trainer.tensor.ScriptModules;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The NDArray-op passes behind {@link Nf4Weight}; they run on whatever device their inputs live on. DJL has
 * no bitwise ops (docs/djl.md), so codes are found by counting thresholds, packed with {@code hi * 16 + lo}
 * and looked up a byte at a time in a [256, 2] table (the values of the high and the low nibble of each byte).
 * Results belong to the manager of the receiver array: callers run these inside a scratch manager.
 *
 * <p>Legend: N = weights, NB = blocks of B weights, N padded up to NB·B with zeros.
 */
final class Nf4Kernels {

    private Nf4Kernels() {}

    /** Padded block view of a weight, float32: [NB, B]. Zero padding leaves every block's absmax unchanged. */
    static NDArray blocks(NDArray weight, int blockSize) {
        NDManager m = weight.getManager();
        NDArray flat = weight.toType(DataType.FLOAT32, false).reshape(-1); // [N]
        long n = flat.size();
        long nb = (n + blockSize - 1) / blockSize;
        if (nb * blockSize != n) {
            flat = flat.concat(m.zeros(new Shape(nb * blockSize - n), DataType.FLOAT32));
        }
        return flat.reshape(nb, blockSize); // [NB, B]
    }

    /** Per-block absmax, float32 [NB]. */
    static NDArray absmax(NDArray blocks) {
        return blocks.abs().max(new int[] {1});
    }

    /**
     * NF4 codes, uint8 [NB·B]: code = #{thresholds t : x · (1 / absmax) > t}, the CUDA kernel's reciprocal
     * scaling and strict comparisons. An all-zero block scales to NaN, which passes no threshold: code 0,
     * value -1 · 0 = 0, as in bitsandbytes.
     */
    static NDArray codes(NDArray blocks, NDArray absmax) {
        NDManager m = blocks.getManager();
        NDArray inv = m.ones(absmax.getShape(), DataType.FLOAT32).div(absmax).expandDims(1); // [NB, 1]
        NDArray scaled = blocks.mul(inv); // [NB, B]
        NDArray codes = m.zeros(scaled.getShape(), DataType.UINT8);
        for (float t : Nf4Code.thresholds()) {
            codes.addi(scaled.gt(t).toType(DataType.UINT8, false));
        }
        return codes.reshape(-1); // [NB·B]
    }

    /** Two codes per byte, element 2k in the high nibble (bitsandbytes' layout): [NB·B / 2] uint8. */
    static NDArray pack(NDArray codes) {
        NDArray pairs = codes.reshape(-1, 2); // [NB·B/2, 2]
        return pairs.get(":, 0").mul(16).add(pairs.get(":, 1"));
    }

    /**
     * Code values of packed bytes, [NB, B] in the lut's dtype, in the lut's manager: byte b gives lut[b, 0] (its
     * high nibble's value) then lut[b, 1]. Through index_select with int32 indices (a TorchScript module) where it
     * loads: DJL's take needs int64 indices, twice the transient memory.
     */
    static NDArray lookup(NDArray packed, NDArray lut, long numBlocks, int blockSize) {
        if (ScriptModules.usable(ScriptModules.NF4_LOOKUP, packed.getDevice())) {
            return ScriptModules.call(ScriptModules.NF4_LOOKUP, lut, packed).reshape(numBlocks, blockSize);
        }
        return lookupWithTake(packed, lut, numBlocks, blockSize);
    }

    /**
     * Dequantized values [NB, B] = lookup(packed) · scales ([NB, 1], the lut's dtype), in the lut's manager. One
     * module call where it loads and agrees bit for bit with {@link #lookup} on this device in this dtype (checked
     * once per device and dtype on the first blocks of real codes): each byte's two values are gathered as one word
     * of twice the dtype's width ({@code nf4_words.pt}: 16 ms less per qwen2-7b 2×2048 step than the pair lookup
     * and multiply on an H200), on a GPU first with the scales applied to the words as complex numbers
     * ({@code nf4_cwords.pt}: a broadcast multiply over half as many elements); otherwise the lookup, then a
     * multiply.
     */
    static NDArray lookupScaled(NDArray packed, NDArray lut, NDArray scales, long numBlocks, int blockSize) {
        String key = packed.getDevice() + " " + lut.getDataType();
        // complex32 arithmetic is a CUDA feature: the complex-scaled words are tried on GPUs only
        String[] modules = packed.getDevice().isGpu()
                ? new String[] {ScriptModules.NF4_CWORDS, ScriptModules.NF4_WORDS}
                : new String[] {ScriptModules.NF4_WORDS};
        for (String module : modules) {
            if (WORDS.computeIfAbsent(module + " " + key, k -> wordsAgree(module, packed, lut, scales, blockSize))) {
                return ScriptModules.call(module, lut, packed, scales);
            }
        }
        NDArray values = lookup(packed, lut, numBlocks, blockSize);
        NDArray w = values.mul(scales); // not in place: the module's result may be an inference tensor
        values.close(); // freed at once: only the product stays
        return w;
    }

    private static final Map<String, Boolean> WORDS = new ConcurrentHashMap<>();

    private static boolean wordsAgree(String module, NDArray packed, NDArray lut, NDArray scales, int blockSize) {
        if (!ScriptModules.usable(module, packed.getDevice())) {
            return false;
        }
        long blocks = Math.min(scales.getShape().get(0), 256);
        try (NDManager scope = lut.getManager().newSubManager()) {
            scope.tempAttachAll(packed, lut, scales);
            NDArray codes = packed.get(new NDIndex().addSliceDim(0, blocks * blockSize / 2));
            NDArray s = scales.get(new NDIndex().addSliceDim(0, blocks));
            NDArray words = ScriptModules.call(module, lut, codes, s);
            NDArray pairs = lookup(codes, lut, blocks, blockSize).mul(s);
            if (words.contentEquals(pairs)) {
                return true;
            }
            System.err.println("note: " + module + " differs from the pair lookup on " + packed.getDevice() + " in "
                    + lut.getDataType() + "; using the pair lookup");
            return false;
        } catch (RuntimeException e) {
            System.err.println("note: " + module + " fails on " + packed.getDevice() + " in "
                    + lut.getDataType() + " ("
                    + e.getMessage() + "); using the pair lookup");
            return false;
        }
    }

    /** {@link #lookup} from DJL's take, where the module does not load. */
    static NDArray lookupWithTake(NDArray packed, NDArray lut, long numBlocks, int blockSize) {
        NDManager m = lut.getManager();
        NDArray even = packed.toType(DataType.INT64, false).mul(2); // take reads the flattened [512] table
        NDArray high = lut.take(m, even);
        NDArray low = lut.take(m, even.add(1));
        return high.stack(low, 1).reshape(numBlocks, blockSize); // [NB·B/2, 2] → [NB, B]
    }

    /** Absmax after double quantization, float32 [NB]: map[q] · nested[i / NBS] + offset. */
    static NDArray doubleDequant(NDArray qabsmax, NDArray nested, NDArray map, float offset, long numBlocks) {
        NDManager m = qabsmax.getManager();
        long nestedCount = nested.size();
        NDArray values = map.take(m, qabsmax.toType(DataType.INT64, false)); // [NB2·NBS]
        NDArray scaled = values.reshape(nestedCount, -1)
                .mul(nested.reshape(nestedCount, 1))
                .add(offset)
                .reshape(-1);
        return scaled.size() == numBlocks ? scaled : scaled.get("0:" + numBlocks);
    }

    /** The [256, 2] table, row-major: packed byte value b → NF4 values of its high and its low nibble. */
    static float[] nibblePairs() {
        float[] v = Nf4Code.values();
        float[] pairs = new float[512];
        for (int b = 0; b < 256; b++) {
            pairs[2 * b] = v[b >> 4];
            pairs[2 * b + 1] = v[b & 0x0F];
        }
        return pairs;
    }
}
