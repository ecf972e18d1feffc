package dev.finetune.trainer.distributed;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

/**
 * A libtorch 2.7.1 that is already on this machine, named by PYTORCH_LIBRARY_PATH (the folder holding
 * libtorch.so). DJL 0.36 then takes the JNI library's flavor from PYTORCH_FLAVOR and, when that is unset, looks for
 * a {@code cpu-precxx11} build that its pytorch-jni jar does not contain ("Resource not found in classpath:
 * jnilib/linux-x86_64/cpu-precxx11/libdjl_torch.so"). {@link #configure} sets the flavor the folder really holds:
 * {@code cu128} when it has libtorch_cuda.so, else {@code cpu}, the two builds the jar carries.
 */
public final class LocalLibtorch {
    /** DJL's variables. */
    public static final String PATH_ENV = "PYTORCH_LIBRARY_PATH";

    public static final String FLAVOR = "PYTORCH_FLAVOR";

    private LocalLibtorch() {}

    /** The flavor of the JNI library that fits the libtorch in {@code dir}. */
    public static String flavorOf(Path dir) {
        return Files.exists(dir.resolve(System.mapLibraryName("torch_cuda"))) ? "cu128" : "cpu";
    }

    /** The folder among PYTORCH_LIBRARY_PATH's entries that holds libtorch.so, or null. */
    static Path libtorchDir(String libraryPath) {
        if (libraryPath == null) {
            return null;
        }
        for (String entry : libraryPath.split(File.pathSeparator)) {
            if (entry.isEmpty()) {
                continue;
            }
            Path p = Paths.get(entry);
            if (Files.isRegularFile(p.resolve(System.mapLibraryName("torch")))) {
                return p;
            }
            if (p.getFileName() != null
                    && p.getFileName().toString().equals(System.mapLibraryName("torch"))
                    && Files.isRegularFile(p)) {
                return p.getParent();
            }
        }
        return null;
    }

    /**
     * Sets the system property PYTORCH_FLAVOR for DJL when PYTORCH_LIBRARY_PATH names a libtorch and no flavor
     * is set (environment or property); call before DJL loads its engine. Returns the flavor in effect, or null
     * when no local libtorch is named.
     */
    public static String configure(Map<String, String> env) {
        Path dir = libtorchDir(env.get(PATH_ENV));
        if (dir == null) {
            return null;
        }
        String set = env.get(FLAVOR) != null ? env.get(FLAVOR) : System.getProperty(FLAVOR);
        if (set != null && !set.trim().isEmpty()) {
            return set;
        }
        String flavor = flavorOf(dir);
        System.setProperty(FLAVOR, flavor);
        return flavor;
    }
}
