package dev.finetune.trainer.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ChildSupervisorTest {

    /** A child main: prints its arguments and exits with the code given as the first one. */
    public static final class EchoExit {
        public static void main(String[] args) throws Exception {
            System.out.println("args " + String.join(" ", args));
            System.err.println("to stderr");
            if (args.length > 1) {
                Thread.sleep(Long.parseLong(args[1]));
            }
            System.exit(Integer.parseInt(args[0]));
        }
    }

    @Test
    void childOutputIsStreamedWithTheRankPrefix() throws Exception {
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        ChildSupervisor.run(
                "rank 3",
                ChildSupervisor.javaCommand(Collections.emptyList(), EchoExit.class.getName(), Arrays.asList("0")),
                Collections.emptyMap(),
                lines::add,
                () -> false);
        assertTrue(lines.contains("[rank 3] args 0"), lines.toString());
        assertTrue(lines.contains("[rank 3] to stderr"), lines.toString());
    }

    @Test
    void aNonZeroExitFailsWithTheCodeAndTheLastLines() {
        IOException e = assertThrows(
                IOException.class,
                () -> ChildSupervisor.run(
                        "rank 1",
                        ChildSupervisor.javaCommand(
                                Collections.emptyList(), EchoExit.class.getName(), Arrays.asList("3")),
                        Collections.emptyMap(),
                        s -> {},
                        () -> false));
        assertTrue(e.getMessage().startsWith("rank 1: child JVM exited with code 3"), e.getMessage());
        assertTrue(e.getMessage().contains("args 3"), e.getMessage());
    }

    @Test
    void cancellingKillsTheChild() {
        AtomicBoolean cancel = new AtomicBoolean();
        long start = System.nanoTime();
        new Thread(() -> {
                    try {
                        Thread.sleep(1500);
                    } catch (InterruptedException ignored) {
                        // the test ends anyway
                    }
                    cancel.set(true);
                })
                .start();
        assertThrows(
                InterruptedException.class,
                () -> ChildSupervisor.run(
                        "rank 0",
                        ChildSupervisor.javaCommand(
                                Collections.emptyList(), EchoExit.class.getName(), Arrays.asList("0", "60000")),
                        Collections.emptyMap(),
                        s -> {},
                        cancel::get));
        double s = (System.nanoTime() - start) / 1e9;
        assertTrue(s < 20, "took " + s + " s; the child sleeps 60 s");
        assertEquals(
                0,
                ProcessHandle.current()
                        .children()
                        .filter(p -> p.info().commandLine().orElse("").contains("60000"))
                        .count());
    }
}
