package dev.finetune.storage;

import java.nio.charset.StandardCharsets;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A writer process for {@link AtomicOutputTest}: starts an atomic output, writes one file, announces
 * "WRITING" and then waits to be killed before it can commit.
 */
public final class AtomicWriterMain {
    private AtomicWriterMain() {}

    public static void main(String[] args) throws Exception {
        Path target = Storage.path(args[0]);
        boolean overwrite = Boolean.parseBoolean(args[1]);
        FileSystem fs = Storage.fileSystem(target, Storage.configuration());
        AtomicOutput out = AtomicOutput.begin(fs, target, overwrite);
        try (FSDataOutputStream s = fs.create(new Path(out.dir(), "part-0"))) {
            s.write("from the killed writer".getBytes(StandardCharsets.UTF_8));
        }
        System.out.println("WRITING");
        System.out.flush();
        Thread.sleep(120_000);
        out.commit(); // never reached: the test kills us first
    }
}
