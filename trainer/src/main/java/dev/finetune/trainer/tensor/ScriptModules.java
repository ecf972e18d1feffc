package dev.finetune.trainer.tensor;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Kernels DJL does not expose, as TorchScript modules shipped in the trainer jar (sources:
 * trainer/tools/torchscript/make_modules.py, which writes them next to this class as resources; docs/djl.md). An
 * archive holds TorchScript source, compiled by the libtorch that loads it. Each module is loaded once per device on first use and kept for the
 * life of the process; autograd records through a call like through any other op.
 */
public final class ScriptModules {
    public static final String SDPA_ATTENTION = "sdpa_attention.pt";
    public static final String SDPA_CAUSAL = "sdpa_causal.pt";
    public static final String SDPA_VARLEN = "sdpa_varlen.pt";
    public static final String SILU_MUL = "silu_mul.pt";
    public static final String NF4_LOOKUP = "nf4_lookup.pt";
    public static final String ADAMW_FOREACH = "adamw_foreach.pt";
    public static final String NF4_DEQUANT = "nf4_dequant.pt";
    public static final String NF4_WORDS = "nf4_words.pt";
    public static final String GLOBAL_NORM = "global_norm.pt";
    public static final String FOREACH_MUL = "foreach_mul.pt";
    public static final String FOREACH_ZERO = "foreach_zero.pt";
    public static final String BACKWARD_ROOTS = "backward_roots.pt";
    public static final String RMS_NORM = "rms_norm.pt";
    public static final String LORA_PROJECT = "lora_project.pt";
    public static final String NF4_CWORDS = "nf4_cwords.pt";

    private static final Map<String, Model> LOADED = new ConcurrentHashMap<>();
    private static final Map<String, Boolean> USABLE = new ConcurrentHashMap<>();
    /** Modules named in -Dfinetune.modules.off=a.pt,b.pt: read once, since usable() runs for every projection. */
    private static final Set<String> OFF = new HashSet<>(
            Arrays.asList(System.getProperty("finetune.modules.off", "").split(",")));

    private ScriptModules() {}

    /** Runs module {@code name} on {@code inputs} (all on one device); the result lands in the first input's manager. */
    public static NDArray call(String name, NDArray... inputs) {
        NDList out = module(name, inputs[0].getDevice())
                .getBlock()
                .forward(new ParameterStore(inputs[0].getManager(), false), new NDList(inputs), GradMode.isOn());
        return out.singletonOrThrow();
    }

    /**
     * Runs module {@code name} on {@code device} for its effect (in-place updates of the arrays it is given, e.g.
     * torch's multi-tensor {@code _foreach} kernels over a list per argument); whatever it returns is dropped. The
     * arguments are the lists of arrays in order, then the numbers in order, as the module's signature takes them
     * ({@code List[Tensor]} and {@code float}). Runs without autograd: fine for updates, never for results a graph
     * keeps.
     */
    public static void run(String name, Device device, List<List<NDArray>> tensorLists, double... numbers) {
        invoke(name, device, arguments(tensorLists, numbers)).close();
    }

    /**
     * Runs module {@code name} on lists of arrays and numbers, as {@link #run}, and returns the tensor it returns,
     * attached to {@code manager}. Runs without autograd.
     */
    public static NDArray evaluate(String name, NDManager manager, List<List<NDArray>> tensorLists, double... numbers) {
        try (IValue result = invoke(name, manager.getDevice(), arguments(tensorLists, numbers))) {
            return result.toTensor((PtNDManager) manager);
        }
    }

    private static IValue[] arguments(List<List<NDArray>> tensorLists, double... numbers) {
        IValue[] args = new IValue[tensorLists.size() + numbers.length];
        int i = 0;
        try {
            for (List<NDArray> list : tensorLists) {
                PtNDArray[] pt = new PtNDArray[list.size()];
                for (int j = 0; j < pt.length; j++) {
                    pt[j] = (PtNDArray) list.get(j);
                }
                args[i++] = IValue.listFrom(pt);
            }
            for (double x : numbers) {
                args[i++] = IValue.from(x);
            }
        } catch (RuntimeException e) {
            for (int k = 0; k < i; k++) {
                args[k].close();
            }
            throw e;
        }
        return args;
    }

    /** Calls the module with IValue arguments (DJL runs such calls in inference mode); closes the arguments. */
    private static IValue invoke(String name, Device device, IValue... args) {
        PtSymbolBlock block = (PtSymbolBlock) module(name, device).getBlock();
        try {
            return block.forward(args);
        } finally {
            for (IValue a : args) {
                a.close();
            }
        }
    }

    /**
     * Whether module {@code name} loads on {@code device}; a failure is reported once on stderr and remembered, for
     * callers that have a plain-ops fallback.
     */
    public static boolean usable(String name, Device device) {
        if (OFF.contains(name)) {
            return false; // a benchmark's switch: measure the step without this module
        }
        return USABLE.computeIfAbsent(name + "@" + device, k -> {
            try {
                module(name, device);
                return true;
            } catch (RuntimeException e) {
                System.err.println("note: " + e.getMessage() + "; using plain DJL ops instead");
                return false;
            }
        });
    }

    /** The module loaded on {@code device}, loading it on first use. */
    private static Model module(String name, Device device) {
        return LOADED.computeIfAbsent(name + "@" + device, k -> load(name, device));
    }

    private static Model load(String name, Device device) {
        try {
            Path file = Files.createTempFile(name.replace(".pt", ""), ".pt");
            file.toFile().deleteOnExit();
            try (InputStream in = ScriptModules.class.getResourceAsStream(name)) {
                if (in == null) {
                    throw new IllegalStateException(name + " is missing from the trainer jar; rebuild the trainer");
                }
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            }
            Model model = Model.newInstance(name, device, "PyTorch");
            model.load(file);
            return model;
        } catch (IOException e) {
            throw new UncheckedIOException("could not load the TorchScript module " + name, e);
        } catch (MalformedModelException e) {
            throw new IllegalStateException("could not load the TorchScript module " + name + " into this libtorch", e);
        }
    }
}
