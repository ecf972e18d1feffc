package dev.finetune.trainer.nf4;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.finetune.trainer.model.LinearWeight;
import dev.finetune.trainer.model.LinearWeightGroup;
import java.util.List;

/**
 * A layer's NF4 projections dequantized by one lookup: their packed codes lie side by side in one array (each
 * weight's own codes become a view into it, so they are stored once), next to one array of every block's scale,
 * already in the compute dtype. Dequantizing all of them is then a table lookup and a multiply (one module call
 * where {@link Nf4Kernels#lookupScaled} can) and views: about a dozen calls and three kernels per layer, where
 * weight by weight it would be seven module calls of eight kernels each. The values are those of {@link Nf4Weight#materialize}: the same table, and the scale that call derives
 * from the double-quantized codes at every use (FP32, then cast to the compute dtype), derived once with DJL ops
 * (bit for bit on the CPU, Nf4LayerGroupTest; on a GPU the TorchScript call may fuse the scale's multiply-add, and
 * the qwen2-7b bench's first loss then differs by about 4e-6 relative).
 *
 * <p>Memory: the kept scales add 2 bytes (FP16) per 64 weights, about 0.2 GiB for a 7B model; dequantizing a
 * whole layer at once needs that layer's values transiently beside its weights.
 */
final class Nf4LayerGroup implements LinearWeightGroup {

    private final NDManager owner;
    private final NDArray codes; // [Σ NB·B/2] uint8
    private final NDArray scales; // [Σ NB, 1] compute dtype
    private final NDArray lut; // [256, 2] compute dtype (the first weight's)
    private final long blocks;
    private final int blockSize;
    private final long[] splits; // element offsets where weights 2..n begin
    private final Shape[] shapes;

    private Nf4LayerGroup(
            NDManager owner,
            NDArray codes,
            NDArray scales,
            NDArray lut,
            long blocks,
            int blockSize,
            long[] splits,
            Shape[] shapes) {
        this.owner = owner;
        this.codes = codes;
        this.scales = scales;
        this.lut = lut;
        this.blocks = blocks;
        this.blockSize = blockSize;
        this.splits = splits;
        this.shapes = shapes;
    }

    /**
     * The group of {@code weights}, or null when they cannot share one lookup: not all NF4, different devices,
     * compute dtypes or block sizes, or a weight whose size is not a whole number of blocks (its padding would
     * sit between two weights).
     */
    static Nf4LayerGroup of(List<LinearWeight> weights, NDManager parent) {
        if (weights.isEmpty() || !(weights.get(0) instanceof Nf4Weight)) {
            return null;
        }
        Nf4Weight first = (Nf4Weight) weights.get(0);
        Nf4Options o = first.options();
        for (LinearWeight lw : weights) {
            if (!(lw instanceof Nf4Weight)) {
                return null;
            }
            Nf4Weight w = (Nf4Weight) lw;
            if (w.options().computeType != o.computeType
                    || w.options().blockSize != o.blockSize
                    || !w.packedCodes().getDevice().equals(first.packedCodes().getDevice())
                    || w.shape().size() % o.blockSize != 0) {
                return null;
            }
        }
        NDManager owner = parent.newSubManager(first.packedCodes().getDevice());
        try {
            NDList codeParts = new NDList();
            NDList scaleParts = new NDList();
            long[] splits = new long[weights.size() - 1];
            Shape[] shapes = new Shape[weights.size()];
            long elements = 0;
            long blocks = 0;
            try (NDManager tmp = owner.newSubManager()) {
                for (int i = 0; i < weights.size(); i++) {
                    Nf4Weight w = (Nf4Weight) weights.get(i);
                    codeParts.add(w.packedCodes());
                    NDArray s = w.blockScales(tmp);
                    scaleParts.add(s.getDataType() == o.computeType ? s : s.toType(o.computeType, false));
                    shapes[i] = w.shape();
                    if (i > 0) {
                        splits[i - 1] = elements;
                    }
                    elements += w.shape().size();
                    blocks += w.numBlocks();
                }
                NDArray codes = NDArrays.concat(codeParts);
                codes.attach(owner);
                NDArray scales = NDArrays.concat(scaleParts).reshape(blocks, 1);
                scales.attach(owner);
                NDArray lut = first.pairTable().duplicate();
                lut.attach(owner);
                long at = 0;
                for (LinearWeight lw : weights) { // each weight's codes become a view of the group's
                    Nf4Weight w = (Nf4Weight) lw;
                    long n = w.packedCodes().size();
                    w.useCodes(codes.get(new ai.djl.ndarray.index.NDIndex().addSliceDim(at, at + n)));
                    at += n;
                }
                return new Nf4LayerGroup(owner, codes, scales, lut, blocks, o.blockSize, splits, shapes);
            }
        } catch (RuntimeException e) {
            owner.close();
            throw e;
        }
    }

    @Override
    public NDArray[] materialize(NDManager scope) {
        NDArray[] out = new NDArray[shapes.length];
        try (NDManager tmp = scope.newSubManager()) {
            tmp.tempAttachAll(codes, lut, scales);
            NDArray w = Nf4Kernels.lookupScaled(codes, lut, scales, blocks, blockSize); // [Σ NB, B]
            NDList parts = w.reshape(-1).split(splits); // views, one per weight
            for (int i = 0; i < out.length; i++) {
                out[i] = parts.get(i).reshape(shapes[i]);
                out[i].attach(scope);
            }
        }
        return out;
    }

    @Override
    public void close() {
        owner.close();
    }
}
