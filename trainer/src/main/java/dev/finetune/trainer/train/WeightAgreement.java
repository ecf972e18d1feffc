package dev.finetune.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * Proof, before rank 0 publishes a checkpoint or the final adapter on behalf of all ranks, that every rank holds
 * bit-identical LoRA weights. Each rank digests each tensor (48 bits of its SHA-256, exact in a double) and the
 * ranks exchange the digests through one all-reduce of a vector where only this rank's slots are non-zero.
 * Every rank reaches the same verdict, so all of them fail together instead of one publishing alone.
 */
public final class WeightAgreement {
    private WeightAgreement() {}

    /** Throws on every rank, naming the ranks and the first tensor that differ, unless all ranks agree. */
    public static void require(List<NDArray> params, List<String> keys, GradientSync sync, String what) {
        int n = sync.worldSize();
        if (n == 1) {
            return;
        }
        int t = params.size();
        double[] mine = new double[n * t];
        for (int i = 0; i < t; i++) {
            mine[sync.rank() * t + i] = digest(params.get(i));
        }
        double[] all = sync.allReduceSum(mine);
        List<Integer> differing = new ArrayList<>();
        String firstKey = null;
        for (int r = 1; r < n; r++) {
            for (int i = 0; i < t; i++) {
                if (all[r * t + i] != all[i]) {
                    differing.add(r);
                    if (firstKey == null) {
                        firstKey = keys.get(i);
                    }
                    break;
                }
            }
        }
        if (!differing.isEmpty()) {
            throw new IllegalStateException("not writing " + what + ": the LoRA weights of rank(s) " + differing
                    + " differ from rank 0's (first differing tensor: " + firstKey + "). Data-parallel ranks must stay "
                    + "identical; check that every rank runs the same build, configuration and checkpoint.");
        }
    }

    /** The first 48 bits of the SHA-256 of the tensor's FP32 values, as an exactly representable double. */
    static double digest(NDArray p) {
        ByteBuffer bytes;
        if (p.getDataType() == DataType.FLOAT32) {
            bytes = p.toByteBuffer();
        } else {
            try (NDArray f32 = p.toType(DataType.FLOAT32, false)) {
                bytes = f32.toByteBuffer();
            }
        }
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(bytes);
            byte[] h = sha.digest();
            long v = 0;
            for (int k = 0; k < 6; k++) {
                v = (v << 8) | (h[k] & 0xFF);
            }
            return v;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }
}
