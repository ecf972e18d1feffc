package dev.finetune.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.nio.file.Paths;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;

/**
 * gs:// in the standalone distribution (Colab, a laptop): the GCS connector is among the jars it ships (the
 * trainer's provided dependencies, which target/dist/lib receives) and its Hadoop settings choose Application
 * Default Credentials, which work off Google Cloud, instead of the connector's default COMPUTE_ENGINE, which does not.
 */
class DistributionGcsTest {

    @Test
    void theDistributionResolvesGsThroughTheConnectorWithApplicationDefaultCredentials() throws Exception {
        Path coreSite = Paths.get(System.getProperty("project.root"), "app/src/dist/conf/core-site.xml");
        Configuration conf = new Configuration(false);
        conf.addResource(new org.apache.hadoop.fs.Path(coreSite.toUri()));
        assertEquals("APPLICATION_DEFAULT", conf.get("fs.gs.auth.type"));
        Configuration full = new Configuration();
        full.addResource(new org.apache.hadoop.fs.Path(coreSite.toUri()));
        assertEquals(
                "com.google.cloud.hadoop.fs.gcs.GoogleHadoopFileSystem",
                FileSystem.getFileSystemClass("gs", full).getName());
    }
}
