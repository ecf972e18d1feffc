package dev.finetune.storage;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Hadoop FileSystem access for the places users keep data: local disk, a mounted Google Drive
 * (/content/drive/MyDrive/..., a local path), hdfs:// and gs://. Wires the GCS connector's keys
 * ({@code fs.gs.impl}, {@code fs.gs.auth.*}) without overriding anything the caller or cluster already set.
 */
public final class Storage {
    static final String GCS_FS = "com.google.cloud.hadoop.fs.gcs.GoogleHadoopFileSystem";
    static final String GCS_AFS = "com.google.cloud.hadoop.fs.gcs.GoogleHadoopFS";
    public static final String GS_AUTH_TYPE = "fs.gs.auth.type";
    public static final String GS_KEYFILE = "fs.gs.auth.service.account.json.keyfile";

    private Storage() {}

    /** A fresh Configuration wired from the process environment. */
    public static Configuration configuration() {
        return configure(new Configuration(), System.getenv());
    }

    /**
     * Adds the gs:// wiring to {@code conf} (keys already set win): fs.gs.impl, fs.AbstractFileSystem.gs.impl,
     * and, when GOOGLE_APPLICATION_CREDENTIALS names a key file, SERVICE_ACCOUNT_JSON_KEYFILE auth with it.
     * Otherwise the connector's default auth applies (the VM's service account on Dataproc/GCE).
     */
    public static Configuration configure(Configuration conf, Map<String, String> env) {
        setIfAbsent(conf, "fs.gs.impl", GCS_FS);
        setIfAbsent(conf, "fs.AbstractFileSystem.gs.impl", GCS_AFS);
        String keyFile = env.get("GOOGLE_APPLICATION_CREDENTIALS");
        if (conf.get(GS_AUTH_TYPE) == null && keyFile != null && !keyFile.trim().isEmpty()) {
            conf.set(GS_AUTH_TYPE, "SERVICE_ACCOUNT_JSON_KEYFILE");
            setIfAbsent(conf, GS_KEYFILE, keyFile.trim());
        }
        return conf;
    }

    private static void setIfAbsent(Configuration conf, String key, String value) {
        if (conf.get(key) == null) {
            conf.set(key, value);
        }
    }

    /** A path string as a qualified Hadoop path: scheme-less paths (local disk, Drive mounts) become file:. */
    public static Path path(String location) {
        if (location == null || location.trim().isEmpty()) {
            throw new IllegalArgumentException("empty storage path; give a local path, hdfs://... or gs://bucket/...");
        }
        URI uri = new Path(location).toUri();
        if (uri.getScheme() == null) {
            // Path.toUri() ends an existing directory with '/', and Hadoop's Path(URI) keeps it: getName() would
            // then be "" and a sibling such as <dir>._tmp-x would land inside the directory
            String local = java.nio.file.Paths.get(location)
                    .toAbsolutePath()
                    .normalize()
                    .toUri()
                    .getPath();
            if (local.length() > 1 && local.endsWith("/")) {
                local = local.substring(0, local.length() - 1);
            }
            return new Path("file", null, local);
        }
        return new Path(uri);
    }

    /**
     * The FileSystem for a path. Local filesystems skip Hadoop's .crc side files, which would otherwise land
     * next to every output (an adapter folder must hold only what peft writes).
     */
    public static FileSystem fileSystem(Path path, Configuration conf) throws IOException {
        String scheme = path.toUri().getScheme();
        if ("gs".equals(scheme) && !classPresent(conf.get("fs.gs.impl", GCS_FS))) {
            throw new IOException(
                    "cannot open " + path + ": gs:// needs the GCS connector on the classpath"
                            + " (preinstalled on Dataproc; elsewhere add com.google.cloud.bigdataoss:gcs-connector:3.0.13:shaded)");
        }
        FileSystem fs = path.getFileSystem(conf);
        if ("file".equals(scheme)) {
            fs.setWriteChecksum(false);
            fs.setVerifyChecksum(false);
        }
        return fs;
    }

    private static boolean classPresent(String name) {
        try {
            Class.forName(name, false, Storage.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
