package dev.finetune.pipeline.inspect;

import dev.finetune.shards.ShardSet;
import dev.finetune.tokenize.TextTokenizer;
import java.io.PrintStream;
import java.nio.file.Paths;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * {@code inspect --shards DIR --tokenizer DIR [--rows N] [--split train]}: counts and decoded rows. Exit 0,
 * or 2 with an ERROR line for a bad argument or an incomplete/unreadable output.
 */
public final class InspectMain {
    private InspectMain() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out));
    }

    public static int run(String[] args, PrintStream out) {
        String shards = null;
        String tokenizer = null;
        String split = "train";
        int rows = 2;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + " needs a value");
                }
                String v = args[++i];
                if (a.equals("--shards")) {
                    shards = v;
                } else if (a.equals("--tokenizer")) {
                    tokenizer = v;
                } else if (a.equals("--split")) {
                    split = v;
                } else if (a.equals("--rows")) {
                    rows = Integer.parseInt(v);
                } else {
                    throw new IllegalArgumentException("unknown flag " + a);
                }
            }
            if (shards == null || tokenizer == null) {
                throw new IllegalArgumentException("give --shards DIR and --tokenizer DIR");
            }
            inspect(shards, tokenizer, split, rows, out);
            return 0;
        } catch (Exception e) {
            System.err.println("ERROR inspect: " + e.getMessage());
            System.err.println("usage: inspect --shards DIR --tokenizer DIR [--rows N] [--split train|validation]");
            return 2;
        }
    }

    /** Prints the counts of the shards in {@code shards} and the first {@code rows} rows of {@code split} decoded. */
    public static void inspect(String shards, String tokenizer, String split, int rows, PrintStream out)
            throws java.io.IOException {
        try (ShardSet set = ShardSet.open(new Path(shards), new Configuration())) {
            out.print(ShardInspector.counts(set.manifest()));
            TextTokenizer tok = TextTokenizer.shared(Paths.get(tokenizer));
            if (!tok.fingerprint().equals(set.manifest().tokenizer.fingerprint)) {
                out.println("WARNING the tokenizer in " + tokenizer + " is not the one the shards were made with");
            }
            ShardInspector inspector = new ShardInspector(tok::decode);
            for (long r = 0; r < Math.min(rows, set.rows(split)); r++) {
                out.print(inspector.row(set, split, r));
            }
        }
    }
}
