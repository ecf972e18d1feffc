package dev.finetune.trainer.nf4;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.finetune.trainer.model.LinearWeight;
import dev.finetune.trainer.tensor.ScriptModules;

/**
 * A frozen [out, in] base weight held as NF4 codes on its device and dequantized per use into the compute
 * dtype: {@code W[i] = NF4[code[i]] * absmax[i / 64]}, with the absmax itself double-quantized by default
 * (bitsandbytes {@code quantize_4bit(..., quant_type="nf4", compress_statistics=True)}, docs/formats.md).
 *
 * <p>Memory per weight (defaults): 1/2 byte of code (two per byte, bitsandbytes' layout) + 1/64 byte of absmax
 * code, plus 4 bytes per 16,384 weights. Each byte is looked up whole in a [256, 2] table of both nibbles'
 * values, one gather per byte: faster and half the memory of one code per byte through a [16] table (one
 * [3584, 18944] weight on CPU: 423 vs 524 ms). The dequantize multiplies in the
 * compute dtype: in FP16 that adds at most about two FP16 roundings (≈1e-3 relative) to a quantization error of
 * ≈10 % of the weight's spread.
 *
 * <p>Owns a sub-manager of the one given at construction; {@link #close()} frees it.
 */
public final class Nf4Weight implements LinearWeight {

    private final NDManager owner;
    private final Shape shape;
    private final Nf4Options options;
    private final long numBlocks;
    /**
     * [NB·B/2] uint8, two codes per byte, element 2k in the high nibble; a view into an {@link Nf4LayerGroup}'s
     * codes once the weight belongs to one.
     */
    private NDArray codes;
    /** [256, 2]: the NF4 values of the high and the low nibble of each byte value; compute dtype. */
    private final NDArray lut;
    /** [NB] float32 without double quantization, else [NB2·NBS] uint8 codes. */
    private final NDArray absmax;
    /** Double quantization only: [NB2] float32 nested absmax and the [256] dynamic code. */
    private final NDArray nestedAbsmax;

    private final NDArray nestedMap;
    private final float nestedOffset;
    private final NDArray[] meta; // nf4_dequant.pt's scalars as host tensors {offset [1] f32, dims [4] i64}

    private Nf4Weight(
            NDManager owner,
            Shape shape,
            Nf4Options options,
            long numBlocks,
            NDArray codes,
            NDArray lut,
            NDArray absmax,
            NDArray nestedAbsmax,
            NDArray nestedMap,
            float nestedOffset) {
        this.owner = owner;
        this.shape = shape;
        this.options = options;
        this.numBlocks = numBlocks;
        this.codes = codes;
        this.lut = lut;
        this.absmax = absmax;
        this.nestedAbsmax = nestedAbsmax;
        this.nestedMap = nestedMap;
        this.nestedOffset = nestedOffset;
        if (nestedMap != null) { // host tensors: the module reads them without waiting for the GPU
            NDManager host = owner.newSubManager(Device.cpu());
            meta = new NDArray[] {
                host.create(new float[] {nestedOffset}),
                host.create(new long[] {numBlocks, options.blockSize, shape.get(0), shape.get(1)})
            };
        } else {
            meta = null;
        }
    }

    /**
     * Quantizes {@code weight} ([out, in], any float dtype) on its own device. The input is left untouched
     * (the caller closes it); the result lives in a new sub-manager of {@code parent}.
     */
    public static Nf4Weight quantize(NDArray weight, Nf4Options options, NDManager parent) {
        options.validate();
        if (weight.getShape().dimension() != 2) {
            throw new IllegalArgumentException(
                    "NF4 quantizes [out, in] linear weights; got shape " + weight.getShape());
        }
        NDManager owner = parent.newSubManager(weight.getDevice());
        try (NDManager tmp = owner.newSubManager()) {
            tmp.tempAttachAll(weight);
            NDArray blocks = Nf4Kernels.blocks(weight, options.blockSize); // [NB, B]
            NDArray absmax = Nf4Kernels.absmax(blocks); // [NB]
            NDArray codes = Nf4Kernels.pack(Nf4Kernels.codes(blocks, absmax)); // [NB·B/2]
            codes.attach(owner);
            if (!options.doubleQuant) {
                absmax.attach(owner);
                return assemble(
                        owner, weight.getShape(), options, blocks.getShape().get(0), codes, absmax, null);
            }
            DoubleQuantizedAbsmax dq = DoubleQuantizedAbsmax.quantize(absmax.toFloatArray(), options.nestedBlockSize);
            return assemble(owner, weight.getShape(), options, blocks.getShape().get(0), codes, null, dq);
        } catch (RuntimeException e) {
            owner.close();
            throw e;
        }
    }

    /** Loads codes quantized elsewhere, one per element, e.g. from a bitsandbytes checkpoint ({@link BnbNf4Tensors}). */
    static Nf4Weight fromCodes(
            byte[] codes, Shape shape, float[] absmax, DoubleQuantizedAbsmax dq, Nf4Options options, NDManager parent) {
        NDManager owner = parent.newSubManager();
        try {
            long numBlocks = (shape.size() + options.blockSize - 1) / options.blockSize;
            byte[] padded = new byte[Math.toIntExact(numBlocks * options.blockSize)];
            System.arraycopy(codes, 0, padded, 0, Math.toIntExact(shape.size()));
            NDArray stored = uint8(owner, Nf4Packing.pack(padded));
            NDArray abs = dq == null ? owner.create(absmax) : null;
            return assemble(owner, shape, options, numBlocks, stored, abs, dq);
        } catch (RuntimeException e) {
            owner.close();
            throw e;
        }
    }

    private static Nf4Weight assemble(
            NDManager owner,
            Shape shape,
            Nf4Options options,
            long numBlocks,
            NDArray codes,
            NDArray absmax,
            DoubleQuantizedAbsmax dq) {
        DataType ct = options.computeType;
        NDArray lut = table(owner, Nf4Kernels.nibblePairs(), new Shape(256, 2), ct);
        if (dq == null) {
            return new Nf4Weight(owner, shape, options, numBlocks, codes, lut, absmax, null, null, 0f);
        }
        int nbs = dq.nestedBlockSize();
        float[] nested = dq.nestedAbsmax();
        byte[] q = new byte[nested.length * nbs]; // padded to whole nested blocks; the tail is sliced off
        System.arraycopy(dq.codes(), 0, q, 0, (int) numBlocks);
        NDArray qabs = uint8(owner, q);
        return new Nf4Weight(
                owner,
                shape,
                options,
                numBlocks,
                codes,
                lut,
                qabs,
                owner.create(nested),
                owner.create(dq.map()),
                dq.offset());
    }

    private static NDArray uint8(NDManager m, byte[] bytes) {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(bytes.length);
        buf.put(bytes).flip();
        return m.create(buf, new Shape(bytes.length), DataType.UINT8);
    }

    private static NDArray table(NDManager m, float[] values, Shape shape, DataType type) {
        NDArray f32 = m.create(values, shape);
        if (type == DataType.FLOAT32) {
            return f32;
        }
        NDArray out = f32.toType(type, false);
        f32.close();
        return out;
    }

    /**
     * The dequantized [out, in] weight in the compute dtype, attached to {@code scope}. With double-quantized
     * absmax (QLoRA's default) this is one TorchScript call ({@code nf4_dequant.pt}, the same ops as
     * {@link #materializeWithOps}) instead of about fifteen DJL calls: this runs for every projection twice per step.
     */
    @Override
    public NDArray materialize(NDManager scope) {
        if (meta != null && ScriptModules.usable(ScriptModules.NF4_DEQUANT, codes.getDevice())) {
            NDArray out = ScriptModules.call(
                    ScriptModules.NF4_DEQUANT, lut, codes, absmax, nestedAbsmax, nestedMap, meta[0], meta[1]);
            out.attach(scope);
            return out;
        }
        return materializeWithOps(scope);
    }

    /** {@link #materialize} from DJL ops, with or without double quantization. */
    NDArray materializeWithOps(NDManager scope) {
        int bs = options.blockSize;
        try (NDManager tmp = scope.newSubManager()) {
            tmp.tempAttachAll(codes, lut);
            NDArray values = Nf4Kernels.lookup(codes, lut, numBlocks, bs); // [NB, B]
            NDArray scale = blockScales(tmp).toType(options.computeType, false).reshape(numBlocks, 1); // [NB, 1]
            NDArray w = values.mul(scale).reshape(-1); // [NB·B]
            if (w.size() != shape.size()) {
                w = w.get("0:" + shape.size());
            }
            NDArray out = w.reshape(shape); // [out, in]
            out.attach(scope);
            return out;
        }
    }

    /** The float32 absmax of each block as dequantization uses it: [NB], attached to {@code scope}. */
    public NDArray blockScales(NDManager scope) {
        try (NDManager tmp = scope.newSubManager()) {
            NDArray out;
            if (nestedMap == null) {
                tmp.tempAttachAll(absmax);
                out = absmax.duplicate();
            } else {
                tmp.tempAttachAll(absmax, nestedAbsmax, nestedMap);
                out = Nf4Kernels.doubleDequant(absmax, nestedAbsmax, nestedMap, nestedOffset, numBlocks);
            }
            out.attach(scope);
            return out;
        }
    }

    /** The packed codes as stored ([NB·B/2] uint8): for {@link Nf4LayerGroup}, which copies them next to others'. */
    NDArray packedCodes() {
        return codes;
    }

    /** Replaces the packed codes by {@code view} (the same bytes inside a group's array) and frees the old ones. */
    void useCodes(NDArray view) {
        if (!view.getShape().equals(codes.getShape())) {
            throw new IllegalArgumentException(
                    "codes of shape " + codes.getShape() + " replaced by " + view.getShape());
        }
        NDArray old = codes;
        view.attach(owner);
        codes = view;
        old.close();
    }

    /** Blocks of {@code blockSize} weights (the last one padded). */
    long numBlocks() {
        return numBlocks;
    }

    /** The [256, 2] table of both nibbles' values, in the compute dtype. */
    NDArray pairTable() {
        return lut;
    }

    /** The 4-bit codes, one per element of the flattened weight (host copy, for export and tests). */
    public byte[] codes() {
        return Nf4Packing.unpack(codes.toByteArray(), Math.toIntExact(shape.size()));
    }

    /** Absmax state: the float32 values without double quantization, else null. */
    float[] plainAbsmax() {
        return nestedMap == null ? absmax.toFloatArray() : null;
    }

    /** Double-quantization state, or null without it. */
    DoubleQuantizedAbsmax doubleQuantState() {
        if (nestedMap == null) {
            return null;
        }
        byte[] q = java.util.Arrays.copyOf(absmax.toByteArray(), Math.toIntExact(numBlocks));
        return DoubleQuantizedAbsmax.of(
                q, nestedAbsmax.toFloatArray(), nestedOffset, nestedMap.toFloatArray(), options.nestedBlockSize);
    }

    public Nf4Options options() {
        return options;
    }

    /** Bytes held on the device (codes, scales, tables). */
    public long storageBytes() {
        long bytes = codes.size() + lut.size() * lut.getDataType().getNumOfBytes();
        bytes += absmax.size() * absmax.getDataType().getNumOfBytes();
        bytes += nestedMap == null ? 0 : (nestedAbsmax.size() + nestedMap.size()) * 4;
        return bytes;
    }

    @Override
    public Shape shape() {
        return shape;
    }

    @Override
    public void close() {
        owner.close();
    }
}
