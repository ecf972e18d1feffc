package dev.finetune.trainer.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CollectiveOptionsTest {

    @Test
    void commandLineFlagsRoundTripAndOtherFlagsAreIgnored() {
        CollectiveOptions o = CollectiveOptions.fromArgs(new String[] {
            "--lr",
            "1e-4",
            "--rank",
            "1",
            "--world-size",
            "2",
            "--peers",
            "10.0.0.1:29500,10.0.0.2:29501",
            "--fp16-wire",
            "--read-timeout-s",
            "90"
        });
        assertEquals(1, o.rank);
        assertEquals(2, o.worldSize);
        assertEquals("10.0.0.2", o.peers.get(1).getHostString());
        assertEquals(29501, o.peers.get(1).getPort());
        assertTrue(o.fp16Wire);
        assertEquals(90_000, o.readTimeoutMs);
        CollectiveOptions back = CollectiveOptions.fromArgs(o.toArgs().toArray(new String[0]));
        assertEquals(o.toArgs(), back.toArgs());
    }

    @Test
    void badPlacementsAreRejectedNamingTheFlag() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> CollectiveOptions.fromArgs(
                        new String[] {"--rank", "2", "--world-size", "2", "--peers", "a:1,b:2"}));
        assertTrue(e.getMessage().startsWith("--rank=2"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> CollectiveOptions.fromArgs(
                        new String[] {"--rank", "0", "--world-size", "3", "--peers", "a:1,b:2"}));
        assertTrue(e.getMessage().contains("--peers has 2 entries, --world-size is 3"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> CollectiveOptions.fromArgs(
                        new String[] {"--rank", "0", "--world-size", "1", "--peers", "hostonly"}));
        assertTrue(e.getMessage().contains("expected host:port"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class, () -> CollectiveOptions.fromArgs(new String[] {"--rank", "0"}));
        assertTrue(e.getMessage().contains("required"), e.getMessage());
    }
}
