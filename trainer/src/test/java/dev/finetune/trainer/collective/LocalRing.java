package dev.finetune.trainer.collective;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Runs one body per rank on threads of this JVM, joined by real loopback sockets. */
final class LocalRing {

    interface RankBody<T> {
        T run(TcpCollective c) throws Exception;
    }

    private LocalRing() {}

    static <T> List<Future<T>> start(
            int world, java.util.function.UnaryOperator<CollectiveOptions> tweak, RankBody<T> body) throws Exception {
        List<ServerSocket> servers = new ArrayList<>();
        List<InetSocketAddress> peers = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            ServerSocket s = TcpCollective.listen(0);
            servers.add(s);
            peers.add(InetSocketAddress.createUnresolved("127.0.0.1", s.getLocalPort()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(world);
        List<Future<T>> out = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            final int rank = r;
            out.add(pool.submit(() -> {
                CollectiveOptions o =
                        tweak.apply(CollectiveOptions.of(rank, world, peers).withTimeouts(20_000, 60_000));
                try (ServerSocket server = servers.get(rank);
                        TcpCollective c = TcpCollective.connect(o, server, msg -> System.err.println(msg))) {
                    return body.run(c);
                }
            }));
        }
        pool.shutdown();
        return out;
    }

    static <T> List<T> run(int world, java.util.function.UnaryOperator<CollectiveOptions> tweak, RankBody<T> body)
            throws Exception {
        List<T> results = new ArrayList<>();
        for (Future<T> f : start(world, tweak, body)) {
            results.add(f.get(120, TimeUnit.SECONDS));
        }
        return results;
    }
}
