package dev.finetune.trainer.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Ring collectives between threads over loopback, checked against sums computed locally. */
class TcpCollectiveTest {

    private static final int[] ODD_SIZES = {1, 3, 1001, 4099, 100_003};

    private static float[] input(int rank, int size) {
        Random rnd = new Random(1000L * rank + size);
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = (float) rnd.nextGaussian() * (1 + rank);
        }
        return v;
    }

    private static void checkAllReduce(int world, UnaryOperator<CollectiveOptions> tweak, double relTol)
            throws Exception {
        List<float[][]> results = LocalRing.run(world, o -> tweak.apply(o.withChunkFloats(1024)), c -> {
            float[][] out = new float[ODD_SIZES.length][];
            for (int k = 0; k < ODD_SIZES.length; k++) {
                out[k] = input(c.rank(), ODD_SIZES[k]);
                c.allReduceSum(out[k]);
            }
            return out;
        });
        for (int k = 0; k < ODD_SIZES.length; k++) {
            int size = ODD_SIZES[k];
            double[] expected = new double[size];
            double scale = 0;
            for (int r = 0; r < world; r++) {
                float[] v = input(r, size);
                for (int i = 0; i < size; i++) {
                    expected[i] += v[i];
                    scale = Math.max(scale, Math.abs(v[i]));
                }
            }
            float[] rank0 = results.get(0)[k];
            for (int i = 0; i < size; i++) {
                assertEquals(
                        expected[i],
                        rank0[i],
                        relTol * world * scale,
                        "world " + world + ", size " + size + ", element " + i);
            }
            for (int r = 1; r < world; r++) {
                assertArrayEquals(
                        rank0, results.get(r)[k], 0f, "rank " + r + " holds exactly rank 0's result, size " + size);
            }
        }
    }

    @Test
    void allReduceOfOddSizesEqualsTheLocalSumFor2To4Ranks() throws Exception {
        for (int world = 2; world <= 4; world++) {
            checkAllReduce(world, UnaryOperator.identity(), 1e-6);
        }
    }

    @Test
    void allReduceWithFp16OnTheWireIsCloseAndIdenticalOnEveryRank() throws Exception {
        // each hop rounds to 11 significant bits of the chunk's scale: error ≤ (n-1 hops + 1) · 2^-11 · max
        for (int world = 2; world <= 4; world++) {
            checkAllReduce(world, o -> o.withFp16Wire(true), 2 * Math.scalb(1.0, -11));
        }
    }

    @Test
    void fp16WireKeepsGradientsFarBelowHalfPrecisionsRange() throws Exception {
        List<float[]> out = LocalRing.run(2, o -> o.withFp16Wire(true), c -> {
            float[] v = {1e-9f * (c.rank() + 1), -3e-10f, 2.5e-12f};
            c.allReduceSum(v);
            return v;
        });
        assertEquals(3e-9f, out.get(0)[0], 3e-9f * 1e-3f);
        assertEquals(-6e-10f, out.get(0)[1], 6e-10f * 1e-3f);
        assertEquals(5e-12f, out.get(1)[2], 5e-12f * 2e-3f);
    }

    @Test
    void broadcastAllGatherAndBarrierAgreeOnEveryRank() throws Exception {
        for (int world = 2; world <= 4; world++) {
            final int root = world - 1;
            List<float[]> got = LocalRing.run(world, o -> o.withChunkFloats(1024), c -> {
                float[] v = input(c.rank(), 5000);
                c.broadcast(v, root);
                byte[][] all = c.allGather(new byte[] {(byte) c.rank(), (byte) (10 * c.rank())});
                for (int r = 0; r < c.worldSize(); r++) {
                    assertArrayEquals(new byte[] {(byte) r, (byte) (10 * r)}, all[r], "message of rank " + r);
                }
                c.barrier();
                return v;
            });
            for (float[] v : got) {
                assertArrayEquals(input(root, 5000), v, 0f);
            }
        }
    }

    @Test
    void aRankThatDiesMakesTheOthersFailFastNamingIt() throws Exception {
        long start = System.nanoTime();
        List<Future<Object>> ranks = LocalRing.start(4, UnaryOperator.identity(), c -> {
            if (c.rank() == 2) {
                return null; // leaves: closing its sockets, as a killed process would
            }
            c.allReduceSum(new float[1_000_000]);
            c.allReduceSum(new float[1_000_000]);
            return null;
        });
        for (int r : new int[] {0, 1, 3}) {
            ExecutionException e =
                    assertThrows(ExecutionException.class, () -> ranks.get(r).get(30, TimeUnit.SECONDS));
            CollectiveException ce = assertInstanceOf(CollectiveException.class, e.getCause());
            assertEquals(2, ce.failedRank(), "rank " + r + " blames: " + ce.getMessage());
            assertTrue(ce.getMessage().contains("rank 2"), ce.getMessage());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds < 15, "failing took " + seconds + " s; the read timeout is 60 s");
    }

    @Test
    void aHungRankIsNamedAfterTheReadTimeout() throws Exception {
        List<Future<Object>> ranks = LocalRing.start(3, o -> o.withTimeouts(20_000, 2_000), c -> {
            if (c.rank() == 1) {
                Thread.sleep(8_000); // alive, connected, silent
                return null;
            }
            c.allReduceSum(new float[10]);
            return null;
        });
        for (int r : new int[] {0, 2}) {
            ExecutionException e =
                    assertThrows(ExecutionException.class, () -> ranks.get(r).get(30, TimeUnit.SECONDS));
            CollectiveException ce = assertInstanceOf(CollectiveException.class, e.getCause());
            assertEquals(1, ce.failedRank(), "rank " + r + " blames: " + ce.getMessage());
        }
        ranks.get(1).get(30, TimeUnit.SECONDS);
    }

    @Test
    void ranksCallingDifferentCollectivesFailWithTheOrderRule() throws Exception {
        List<Future<Object>> ranks = LocalRing.start(2, UnaryOperator.identity(), c -> {
            if (c.rank() == 0) {
                c.barrier();
            } else {
                c.allReduceSum(new float[8]);
            }
            return null;
        });
        ExecutionException e =
                assertThrows(ExecutionException.class, () -> ranks.get(1).get(30, TimeUnit.SECONDS));
        assertTrue(
                e.getCause().getMessage().contains("every rank must call the same collectives in the same order"),
                e.getCause().getMessage());
        assertThrows(ExecutionException.class, () -> ranks.get(0).get(30, TimeUnit.SECONDS));
    }

    @Test
    void aRankThatNeverStartsIsNamedAfterTheConnectTimeout() throws Exception {
        java.net.ServerSocket reserved =
                TcpCollective.listen(0); // bound but never accepting: a rank that did not start
        java.net.ServerSocket mine = TcpCollective.listen(0);
        List<java.net.InetSocketAddress> peers = java.util.Arrays.asList(
                java.net.InetSocketAddress.createUnresolved("127.0.0.1", mine.getLocalPort()),
                java.net.InetSocketAddress.createUnresolved("127.0.0.1", 1)); // nothing listens on port 1
        CollectiveOptions o = CollectiveOptions.of(0, 2, peers).withTimeouts(2_000, 2_000);
        CollectiveException e = assertThrows(CollectiveException.class, () -> TcpCollective.connect(o, mine, s -> {}));
        assertEquals(1, e.failedRank());
        assertTrue(e.getMessage().contains("could not connect to rank 1"), e.getMessage());
        reserved.close();
        mine.close();
    }
}
