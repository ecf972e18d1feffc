package dev.finetune.trainer.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * torch.nn.functional.scaled_dot_product_attention through the TorchScript module {@code sdpa_attention.pt}
 * (source: trainer/tools/torchscript/make_sdpa_attention.py; FACTS-JAVA-STACK.md §14). The archive holds
 * TorchScript source, compiled by the libtorch that loads it. One module per device, loaded on first use and
 * kept for the life of the process; autograd records through it like through any other op.
 */
final class SdpaAttention {
    private static final String RESOURCE = "sdpa_attention.pt";
    private static final Map<Device, Model> MODULES = new ConcurrentHashMap<>();
    /** The lowest FP16 value: a finite "masked" that keeps rows without any allowed key finite. */
    private static final float FP16_MASKED = -65504f;

    private SdpaAttention() {
    }

    /**
     * q [B, H, T, Dh], k and v [B, Hkv, S, Dh] in the compute dtype, mask from {@link #mask} → [B, H, T, Dh] in
     * q's manager.
     */
    static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask) {
        Model module = MODULES.computeIfAbsent(q.getDevice(), SdpaAttention::load);
        NDList out = module.getBlock().forward(new ParameterStore(q.getManager(), false), new NDList(q, k, v, mask),
            JniUtils.isGradMode());
        return out.singletonOrThrow();
    }

    /** The additive FP32 mask [B, 1, 1, T, S] of {@link AttentionMask} as SDPA takes it: [B, 1, T, S] in {@code type}. */
    static NDArray mask(NDArray additive, DataType type) {
        long[] s = additive.getShape().getShape();
        NDArray m = additive.reshape(s[0], 1, s[3], s[4]);
        if (type == DataType.FLOAT32) {
            return m;
        }
        NDArray clipped = m.clip(FP16_MASKED, 0f);
        NDArray cast = clipped.toType(type, false);
        clipped.close();
        m.close();
        return cast;
    }

    private static Model load(Device device) {
        try {
            Path file = Files.createTempFile("sdpa_attention", ".pt");
            file.toFile().deleteOnExit();
            try (InputStream in = SdpaAttention.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException(RESOURCE + " is missing from the trainer jar; rebuild it, or set "
                        + "attn_implementation: eager");
                }
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            }
            Model model = Model.newInstance("sdpa_attention", device, "PyTorch");
            model.load(file);
            return model;
        } catch (IOException e) {
            throw new UncheckedIOException("could not load the attention module " + RESOURCE, e);
        } catch (MalformedModelException e) {
            throw new IllegalStateException("could not load the attention module " + RESOURCE
                + "; set attn_implementation: eager to run without it", e);
        }
    }
}
