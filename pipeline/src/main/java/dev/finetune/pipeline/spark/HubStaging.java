package dev.finetune.pipeline.spark;

import dev.finetune.hub.DatasetFiles;
import dev.finetune.hub.HubClient;
import dev.finetune.hub.HubSettings;
import dev.finetune.hub.RemoteFile;
import dev.finetune.pipeline.ingest.FileFormat;
import dev.finetune.pipeline.ingest.InputFiles;
import dev.finetune.shards.ShardFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Fetches a Hub dataset's files in parallel, one Spark task per file, into a staging directory on the job's
 * file system ({@code <staging>/<commit>/<repo path>}), so Spark's readers read them from there and the driver
 * never carries the data. A file already staged with the expected size is kept (reruns after a failure do
 * not download again); downloads go to {@code .incomplete} first and are renamed when verified.
 */
final class HubStaging {
    private HubStaging() {}

    static InputFiles stage(
            JavaSparkContext jsc, HubSettings settings, DatasetFiles listing, String stagingDir, HadoopConf conf) {
        List<RemoteFile> files = listing.files();
        String base = stagingDir + "/" + listing.commit();
        System.err.printf(
                "prepare: staging %d files (%,d bytes) of %s into %s%n",
                files.size(), listing.totalBytes(), listing.repo().id(), base);
        List<String> staged = jsc.parallelize(files, Math.max(1, files.size()))
                .map(f -> fetch(settings, f, new Path(base, f.path()), conf))
                .collect();
        FileFormat format = listing.format() == DatasetFiles.Format.PARQUET
                ? FileFormat.PARQUET
                : FileFormat.ofFile(files.get(0).path()) == FileFormat.JSON ? FileFormat.JSON : FileFormat.JSONL;
        return new InputFiles(format, staged);
    }

    private static String fetch(HubSettings settings, RemoteFile file, Path target, HadoopConf conf) {
        try {
            FileSystem fs = ShardFiles.fileSystem(target, conf.get());
            if (fs.exists(target)
                    && (file.size() < 0 || fs.getFileStatus(target).getLen() == file.size())) {
                return target.toString();
            }
            Path partial = new Path(target.getParent(), target.getName() + ".incomplete");
            try (OutputStream out = fs.create(partial, true)) {
                HubClient.create(settings).download(file, out);
            }
            fs.delete(target, false);
            if (!fs.rename(partial, target)) {
                throw new IOException("cannot rename " + partial + " to " + target);
            }
            return target.toString();
        } catch (IOException e) {
            throw new UncheckedIOException("downloading " + file + " to " + target + ": " + e.getMessage(), e);
        }
    }
}
