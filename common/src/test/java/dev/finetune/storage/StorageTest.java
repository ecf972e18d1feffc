package dev.finetune.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;

class StorageTest {
    @Test
    void gsPathsOpenTheGcsConnectorWithoutNetworkWhenUnauthenticated() throws Exception {
        Configuration conf = Storage.configure(new Configuration(false), Map.of());
        conf.set(Storage.GS_AUTH_TYPE, "UNAUTHENTICATED");
        conf.setBoolean("fs.gs.impl.disable.cache", true);
        FileSystem fs = Storage.fileSystem(new Path("gs://finetune-test-bucket/data/x.parquet"), conf);
        assertEquals(
                "com.google.cloud.hadoop.fs.gcs.GoogleHadoopFileSystem",
                fs.getClass().getName());
        assertEquals("UNAUTHENTICATED", fs.getConf().get(Storage.GS_AUTH_TYPE));
        assertEquals("gs", fs.getUri().getScheme());
        fs.close();
    }

    @Test
    void serviceAccountKeyFromGoogleApplicationCredentialsIsWired() {
        Configuration conf = Storage.configure(
                new Configuration(false), Map.of("GOOGLE_APPLICATION_CREDENTIALS", "/secrets/key.json"));
        assertEquals("SERVICE_ACCOUNT_JSON_KEYFILE", conf.get(Storage.GS_AUTH_TYPE));
        assertEquals("/secrets/key.json", conf.get(Storage.GS_KEYFILE));
        assertEquals("com.google.cloud.hadoop.fs.gcs.GoogleHadoopFileSystem", conf.get("fs.gs.impl"));
        assertEquals("com.google.cloud.hadoop.fs.gcs.GoogleHadoopFS", conf.get("fs.AbstractFileSystem.gs.impl"));
    }

    @Test
    void settingsAlreadyMadeByTheClusterWin() {
        Configuration conf = new Configuration(false);
        conf.set(Storage.GS_AUTH_TYPE, "COMPUTE_ENGINE");
        Storage.configure(conf, Map.of("GOOGLE_APPLICATION_CREDENTIALS", "/secrets/key.json"));
        assertEquals("COMPUTE_ENGINE", conf.get(Storage.GS_AUTH_TYPE));
        assertEquals(null, conf.get(Storage.GS_KEYFILE));
        Configuration none = Storage.configure(new Configuration(false), Map.of());
        assertEquals(null, none.get(Storage.GS_AUTH_TYPE), "without a key file the connector's default applies");
    }

    @Test
    void schemeLessPathsAreLocalFilesAndSchemesAreKept() {
        assertEquals("file", Storage.path("/content/drive/MyDrive/run1").toUri().getScheme());
        assertEquals(
                "/content/drive/MyDrive/run1",
                Storage.path("/content/drive/MyDrive/run1").toUri().getPath());
        assertEquals("gs", Storage.path("gs://b/p").toUri().getScheme());
        assertEquals("hdfs", Storage.path("hdfs://nn:8020/p").toUri().getScheme());
        assertThrows(IllegalArgumentException.class, () -> Storage.path(" "));
    }

    @Test
    void anExistingLocalDirectoryKeepsItsNameSoSiblingsLandBesideIt(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createDirectories(tmp.resolve("merged model"));
        Path p = Storage.path(dir.toString());
        assertEquals("merged model", p.getName());
        assertEquals(dir.toUri().getPath(), p.toUri().getPath() + "/");
        assertEquals(Storage.path(tmp.toString()), p.getParent());
    }
}
