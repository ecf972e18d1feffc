package dev.finetune.pipeline.ingest;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** A sorted list of input files of one format. Sorting by path defines the documents' order. */
public final class InputFiles implements Serializable {
    private static final long serialVersionUID = 1L;

    public final FileFormat format;
    public final List<String> files;

    public InputFiles(FileFormat format, List<String> files) {
        this.format = format;
        List<String> sorted = new ArrayList<>(new TreeSet<>(files));
        this.files = Collections.unmodifiableList(sorted);
    }

    /**
     * Expands paths (files, directories, globs) to their data files. Directories contribute the files whose
     * extension is a known format (hidden and {@code _}-prefixed files skipped). {@code forced} overrides
     * detection by extension (null = auto).
     */
    public static InputFiles expand(List<String> paths, FileFormat forced, Configuration conf) throws IOException {
        List<String> files = new ArrayList<>();
        FileFormat found = forced;
        for (String p : paths) {
            Path path = new Path(p);
            FileSystem fs = path.getFileSystem(conf);
            FileStatus[] matches = fs.globStatus(path);
            if (matches == null || matches.length == 0) {
                throw new IllegalArgumentException("source: " + p + " does not exist (or the glob matches nothing)");
            }
            for (FileStatus m : matches) {
                List<FileStatus> candidates = new ArrayList<>();
                if (m.isDirectory()) {
                    for (FileStatus c : fs.listStatus(m.getPath())) {
                        String name = c.getPath().getName();
                        if (c.isFile()
                                && !name.startsWith(".")
                                && !name.startsWith("_")
                                && (forced != null || FileFormat.ofFile(name) != null)) {
                            candidates.add(c);
                        }
                    }
                } else {
                    candidates.add(m);
                }
                for (FileStatus c : candidates) {
                    FileFormat f = forced != null
                            ? forced
                            : FileFormat.ofFile(c.getPath().getName());
                    if (f == null) {
                        throw new IllegalArgumentException("source: " + c.getPath() + ": unknown file type; "
                                + "expected .parquet, .jsonl or .json, or give --format");
                    }
                    if (found != null && found != f) {
                        throw new IllegalArgumentException("source: mixes " + found + " and " + f + " files ("
                                + c.getPath() + "); give one format per source");
                    }
                    found = f;
                    files.add(c.getPath().toString());
                }
            }
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(
                    "source: " + String.join(",", paths) + " holds no .parquet, .jsonl or .json files");
        }
        return new InputFiles(found, files);
    }
}
