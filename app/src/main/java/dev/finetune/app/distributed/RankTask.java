package dev.finetune.app.distributed;

import dev.finetune.hub.HfToken;
import dev.finetune.storage.NodeCopy;
import dev.finetune.storage.Storage;
import dev.finetune.trainer.collective.CollectiveOptions;
import dev.finetune.trainer.distributed.ChildSupervisor;
import dev.finetune.trainer.distributed.DistributedTrainOptions;
import dev.finetune.trainer.distributed.LocalLibtorch;
import java.io.IOException;
import java.io.Serializable;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.BarrierTaskInfo;
import org.apache.spark.resource.ResourceInformation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction1;

/**
 * The body of one barrier task = one rank: rank = partition id; reserves a port, learns every rank's
 * host:port through {@code allGather}, pins its GPU with CUDA_VISIBLE_DEVICES and supervises the trainer's
 * child JVM. Every task makes exactly one allGather on every path (BarrierTaskContext's rule).
 */
final class RankTask extends AbstractFunction1<Iterator<Integer>, Iterator<String>> implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RankTask.class);

    private final DistributedTrainOptions options;
    private final int attempt;
    private final long jobToken;
    /** Travels inside the task (Spark's RPC, not its UI, event log or job properties); null when none. */
    private final HfToken hfToken;

    RankTask(DistributedTrainOptions options, int attempt, long jobToken, HfToken hfToken) {
        this.options = options;
        this.attempt = attempt;
        this.jobToken = jobToken;
        this.hfToken = hfToken;
    }

    @Override
    public Iterator<String> apply(Iterator<Integer> ignored) {
        BarrierTaskContext ctx = BarrierTaskContext.get();
        int rank = ctx.partitionId();
        BarrierTaskInfo[] infos = ctx.getTaskInfos();
        String host = hostOf(infos[rank].address());
        // reserve a free port, release it for the child to bind (the window is milliseconds, as in TorchDistributor)
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("rank " + rank + ": no free port on " + host, e);
        }
        String[] peers = ctx.allGather(host + ":" + port);
        List<InetSocketAddress> addresses = CollectiveOptions.parsePeers(String.join(",", peers));
        CollectiveOptions co = CollectiveOptions.of(rank, infos.length, addresses)
                .withTimeouts(1000L * options.connectTimeoutS, 1000L * options.readTimeoutS)
                .withFp16Wire(options.fp16Wire)
                .withJobToken(jobToken);
        String gpu = gpuFor(ctx, rank);
        List<String> args = options.rankArgs(co, attempt, gpu);
        Map<String, String> env = new HashMap<>();
        if (gpu != null) {
            env.put("CUDA_VISIBLE_DEVICES", gpu); // the child sees its one GPU as gpu0
        }
        if (hfToken != null) {
            env.put("HF_TOKEN", hfToken.reveal()); // the environment only: never argv, where ps and logs see it
        }
        if (options.libtorch != null) {
            java.nio.file.Path lib = installLibtorch(rank);
            env.put(LocalLibtorch.PATH_ENV, lib.toString());
            env.put(LocalLibtorch.FLAVOR, LocalLibtorch.flavorOf(lib));
        }
        String where = "rank " + rank + "/" + infos.length + " on " + host + ":" + port
                + (gpu == null ? " (CPU)" : " (GPU " + gpu + ")") + ", attempt " + attempt + ", stage attempt "
                + ctx.stageAttemptNumber();
        LOG.info("starting {}: {}", where, options.trainMain);
        try {
            ChildSupervisor.run(
                    "rank " + rank,
                    ChildSupervisor.javaCommand(options.childJvmOptions, options.trainMain, args),
                    env,
                    LOG::info,
                    ctx::isInterrupted);
        } catch (IOException e) {
            throw new IllegalStateException(where + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(where + " was cancelled; its child JVM was killed", e);
        }
        return scala.collection.Iterator$.MODULE$.single(where + " finished");
    }

    /** This machine's copy of --libtorch, made by the first rank here that needs it. */
    private java.nio.file.Path installLibtorch(int rank) {
        try {
            return NodeCopy.folder(options.libtorch, Storage.configuration(), NodeCopy.root());
        } catch (IOException e) {
            throw new IllegalStateException(
                    "rank " + rank + ": cannot install libtorch from --libtorch " + options.libtorch
                            + " on this machine: " + e.getMessage(),
                    e);
        }
    }

    /** The task's GPU: Spark's resource assignment, else --local-gpus, else none (CPU). */
    private String gpuFor(BarrierTaskContext ctx, int rank) {
        ResourceInformation info = ctx.resourcesJMap().get("gpu");
        if (info != null && info.addresses().length > 0) {
            if (info.addresses().length > 1) {
                LOG.warn(
                        "rank {} was given GPUs {}; using only {} (one rank per GPU)",
                        rank,
                        Arrays.toString(info.addresses()),
                        info.addresses()[0]);
            }
            return info.addresses()[0];
        }
        if (!options.localGpus.isEmpty()) {
            return options.localGpus.get(rank % options.localGpus.size());
        }
        return null;
    }

    private static String hostOf(String address) {
        int colon = address.lastIndexOf(':');
        return colon > 0 ? address.substring(0, colon) : address;
    }
}
