package dev.finetune.trainer.tensor;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Backward passes DJL's API has no call for: torch.autograd.backward(output, upstream) with an upstream gradient
 * of output's shape, so a graph can be cut where the caller likes (a layer recomputed from its saved input, a
 * chunk of the loss) and the gradient injected at the cut. DJL's NDArray.backward() only starts from a scalar
 * with gradient 1.
 */
public final class Autograd {
    private Autograd() {}

    /**
     * Backpropagates {@code upstream} (output's shape and dtype) from {@code output} into the gradients of the
     * leaves that require them, accumulating; the graph is freed afterwards.
     */
    public static void backward(NDArray output, NDArray upstream) {
        JniUtils.backward((PtNDArray) output, (PtNDArray) upstream, false, false);
    }

    /**
     * Backpropagates {@code upstream.get(i)} from {@code roots.get(i)} for every i in one traversal of the graph
     * (torch.autograd.backward(roots, upstream)), accumulating into the leaves' gradients as that many
     * single-root passes would; the graph is freed afterwards. Through {@link ScriptModules#BACKWARD_ROOTS} where
     * it loads: DJL hands arrays named {@code roots[]} and {@code grads[]} to the module as two
     * {@code List[Tensor]} arguments. Otherwise one pass per root, each but the last keeping the graph.
     */
    public static void backward(List<NDArray> roots, List<NDArray> upstream) {
        if (roots.size() != upstream.size()) {
            throw new IllegalArgumentException(roots.size() + " roots but " + upstream.size()
                    + " upstream gradients; pass one upstream gradient per root");
        }
        if (roots.isEmpty()) {
            return;
        }
        if (roots.size() > 1 && backwardFromRoots(roots.get(0).getManager())) {
            NDArray[] args = new NDArray[2 * roots.size()];
            String[] names = new String[args.length];
            for (int i = 0; i < roots.size(); i++) {
                args[i] = roots.get(i);
                args[roots.size() + i] = upstream.get(i);
            }
            for (int i = 0; i < args.length; i++) {
                names[i] = args[i].getName();
            }
            for (int i = 0; i < args.length; i++) {
                args[i].setName(i < roots.size() ? "roots[]" : "grads[]");
            }
            try {
                GradMode.with(true, () -> ScriptModules.call(ScriptModules.BACKWARD_ROOTS, args))
                        .close();
            } finally {
                for (int i = args.length - 1; i >= 0; i--) {
                    args[i].setName(names[i]);
                }
            }
            return;
        }
        for (int i = 0; i < roots.size(); i++) {
            JniUtils.backward((PtNDArray) roots.get(i), (PtNDArray) upstream.get(i), i < roots.size() - 1, false);
        }
    }

    /**
     * Whether one backward from several roots works on {@code scope}'s device: the module loads and, checked once per
     * device on a small graph, gives the leaf gradient the formula gives (2·g1 + g2·wᵀ for roots x·2 and x·w). Where
     * it does not, a note says so once and callers take the single-root path.
     */
    public static boolean backwardFromRoots(NDManager scope) {
        Device device = scope.getDevice();
        return ROOTS_WORK.computeIfAbsent(device.toString(), d -> checkRoots(scope));
    }

    private static final Map<String, Boolean> ROOTS_WORK = new ConcurrentHashMap<>();

    /** Forgets the per-device checks (tests). */
    static void forgetChecks() {
        ROOTS_WORK.clear();
    }

    private static boolean checkRoots(NDManager parent) {
        if (!ScriptModules.usable(ScriptModules.BACKWARD_ROOTS, parent.getDevice())) {
            return false;
        }
        try (NDManager m = parent.newSubManager()) {
            // fixed values, no random draws: callers may have seeded the generator for dropout masks
            NDArray x = m.create(values(12, 0.3f), new Shape(3, 4));
            NDArray w = m.create(values(20, -0.2f), new Shape(4, 5));
            NDArray g1 = m.create(values(12, 0.7f), new Shape(3, 4));
            NDArray g2 = m.create(values(15, -0.5f), new Shape(3, 5));
            GradMode.with(true, () -> {
                x.setRequiresGradient(true);
                NDArray a = x.mul(2f);
                NDArray b = x.matMul(w);
                NDArray[] args = {a, b, g1, g2};
                a.setName("roots[]");
                b.setName("roots[]");
                g1.setName("grads[]");
                g2.setName("grads[]");
                ScriptModules.call(ScriptModules.BACKWARD_ROOTS, args).close();
                return null;
            });
            NDArray want = g1.mul(2f).add(g2.matMul(w.transpose()));
            boolean same = x.getGradient().allClose(want, 1e-4, 1e-5, false);
            if (!same) {
                System.err.println("note: " + ScriptModules.BACKWARD_ROOTS + " gives other gradients on "
                        + parent.getDevice() + "; backpropagating from one root at a time");
            }
            return same;
        } catch (RuntimeException e) {
            System.err.println("note: " + ScriptModules.BACKWARD_ROOTS + " fails on " + parent.getDevice() + " ("
                    + e.getMessage() + "); backpropagating from one root at a time");
            return false;
        }
    }

    private static float[] values(int n, float step) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) Math.sin(1 + i * step);
        }
        return v;
    }
}
