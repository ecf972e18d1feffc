package dev.finetune.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.trainer.model.Goldens;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code finetune merge} publishes a merged model from its flags and refuses a dtype it does not write. */
class MergeSubcommandTest {
    @TempDir
    Path tmp;

    static Path family(String name) {
        for (Path f : Goldens.families()) {
            if (f.getFileName().toString().equals(name)) {
                return f;
            }
        }
        throw new IllegalStateException("no reference family " + name + " in " + Goldens.families());
    }

    @Test
    void theCliMergesWithFlagsAndRefusesABadDtype() throws Exception {
        Path fam = family("qwen2");
        Path out = tmp.resolve("cli");
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.run(new String[] {"merge", "--model", fam.resolve("base").toString(), "--adapter",
            fam.resolve("adapter").toString(), "--output", out.toString(), "--dtype", "fp32", "--max-shard-size",
            "1GB"}, new PrintStream(o, true), new PrintStream(err, true));
        assertEquals(0, rc, err.toString());
        assertTrue(Files.exists(out.resolve("_SUCCESS")));
        assertTrue(o.toString().contains("published"), o.toString());

        err.reset();
        rc = Main.run(new String[] {"merge", "--model", fam.resolve("base").toString(), "--adapter",
            fam.resolve("adapter").toString(), "--output", tmp.resolve("cli2").toString(), "--dtype", "int8"},
                new PrintStream(o, true), new PrintStream(err, true));
        assertEquals(2, rc);
        assertTrue(err.toString().contains("--dtype = 'int8'; allowed bf16, fp16, fp32"), err.toString());
        assertFalse(Files.exists(tmp.resolve("cli2")));
    }
}
