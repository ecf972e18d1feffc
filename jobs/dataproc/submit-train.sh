#!/usr/bin/env bash
# jobs/dataproc/submit-train.sh [train flags...]: data-parallel QLoRA training on a GPU Dataproc cluster made by
# jobs/dataproc/create-cluster.sh. Submits the CLI (dev.finetune.app.cli.Main) with
# `train --world-size $RANKS --max-attempts ... --child-heap ... [--libtorch ...] [--hf-token-file ...] [--fp16-wire]`
# followed by the arguments; under spark-submit `train` runs one Spark barrier task per GPU, each supervising a
# trainer JVM pinned to its GPU (`jobs/finetune train --help` explains every flag). E.g.
#   RANKS=2 JAR=gs://my-bucket/app-0.1.0-SNAPSHOT-spark.jar \
#     jobs/dataproc/submit-train.sh --config gs://my-bucket/conf/train.yaml
#
# Knobs (environment variables):
#   CLUSTER, REGION         the cluster (defaults finetune-gpu, us-central1)
#   JAR                     the thin jar app/target/app-<version>-spark.jar, local or gs://
#   RANKS                   number of ranks = GPUs = executors, train's --world-size (default 2)
#   CORES_PER_RANK          spark.executor.cores = spark.task.cpus, so exactly one task fits an executor
#                           (DJL allows one gradient collector per JVM; default 4)
#   EXECUTOR_MEMORY         executor JVM heap; the trainer runs in a child JVM, so this stays small (default 1g)
#   CHILD_HEAP              --child-heap: -Xmx of each rank's trainer JVM (default 8g: the weights live on the GPU
#                           and in libtorch's native memory; the heap holds one base tensor as FP32 while loading,
#                           3.1 GB for a 14B model's embedding, and the row buffers)
#   CHILD_NATIVE            native memory of a rank's JVM beside its heap (default 8g: libtorch and the CUDA context,
#                           pinned host buffers, the embedding table kept on the host, the pages of the weights file
#                           being read). The rank JVM runs inside the executor's YARN container, so the job sets
#                           spark.executor.memoryOverhead = CHILD_HEAP + CHILD_NATIVE; YARN kills a container that
#                           outgrows it. The container (EXECUTOR_MEMORY + overhead, 17g by default) must fit a
#                           worker's YARN memory (about 24 GB on g2-standard-8 and n1-standard-8)
#   MAX_ATTEMPTS            --max-attempts, whole-job attempts: Spark never retries a failed barrier result stage,
#                           so the driver resubmits and every rank resumes from the last checkpoint (default 3)
#   DJL_CACHE_DIR           where DJL puts libtorch on each node (default /tmp/djl-cache: node-local, kept between
#                           attempts; never a Drive or GCS path)
#   LIBTORCH                --libtorch: a gs:// folder holding libtorch 2.7.1 cu128's libraries (libtorch.so,
#                           libtorch_cuda.so, ...); each node copies it once to local disk (FINETUNE_NODE_CACHE,
#                           default /tmp/finetune-node-cache) instead of downloading about 2 GB from DJL's server.
#                           Make it once from the folder DJL downloaded on any GPU node after a first run:
#                             gsutil -m cp -r /tmp/djl-cache/pytorch/2.7.1-cu128-linux-x86_64 gs://my-bucket/libtorch-2.7.1-cu128
#   PYTORCH_LIBRARY_PATH    alternatively a libtorch 2.7.1 already installed on every node (custom image); the
#                           ranks set the matching PYTORCH_FLAVOR (cpu or cu128) themselves
#   HF_TOKEN_FILE           --hf-token-file: a gs:// object holding only your Hugging Face token, for gated or
#                           private base models (readable by the cluster's service account, e.g.
#                           `gsutil cp - gs://my-bucket/secret/hf` then restrict it). The driver reads it and hands
#                           it to each rank JVM in its environment; it is never a job property or argument, which
#                           Dataproc shows to everyone who can see the job
#   FP16_WIRE               true passes --fp16-wire: gradients travel as FP16 (half the all-reduce bytes; see the
#                           collective's benchmark)
#   BARRIER_TIMEOUT         spark.barrier.sync.timeout (default 3600s): a rank stuck before the address exchange
#                           fails the attempt instead of waiting Spark's default 365 days
#
# Fixed settings, and why:
#   spark.executor.resource.gpu.amount=1, spark.task.resource.gpu.amount=1, the discovery script: one GPU per task;
#     the task pins it with CUDA_VISIBLE_DEVICES for its trainer JVM
#   spark.dynamicAllocation.enabled=false: barrier stages refuse dynamic allocation
#   spark.scheduler.barrier.maxConcurrentTasksCheck.*: wait up to ~25 min for all GPU executors to register
#   OPT_OUT_TRACKING=true (driver and executors): DJL would otherwise call the GCE metadata server and S3
#   base_model_id may be a Hub id (each node downloads it once into its Hugging Face cache; HF_TOKEN_FILE for gated
#     models) or a gs:// folder with config.json, the tokenizer files and *.safetensors (copied once per node)
set -euo pipefail

CLUSTER="${CLUSTER:-finetune-gpu}"
REGION="${REGION:-us-central1}"
: "${JAR:?set JAR to app/target/app-<version>-spark.jar (local path or gs://)}"
RANKS="${RANKS:-2}"
CORES_PER_RANK="${CORES_PER_RANK:-4}"
EXECUTOR_MEMORY="${EXECUTOR_MEMORY:-1g}"
CHILD_HEAP="${CHILD_HEAP:-8g}"
CHILD_NATIVE="${CHILD_NATIVE:-8g}"
MAX_ATTEMPTS="${MAX_ATTEMPTS:-3}"
DJL_CACHE_DIR="${DJL_CACHE_DIR:-/tmp/djl-cache}"
DJL_OFFLINE="${DJL_OFFLINE:-false}"
[[ -n "${LIBTORCH:-}" ]] && DJL_OFFLINE=true
BARRIER_TIMEOUT="${BARRIER_TIMEOUT:-3600s}"

# a size (8g, 8192m) in MiB
mib() {
  local v="${1,,}"
  case "$v" in
    *g) echo $(( ${v%g} * 1024 )) ;;
    *m) echo "${v%m}" ;;
    *) echo "jobs/dataproc/submit-train.sh: size '$1': write it as 8g or 8192m" >&2; exit 2 ;;
  esac
}
OVERHEAD_MIB=$(( $(mib "$CHILD_HEAP") + $(mib "$CHILD_NATIVE") ))

PROPS="spark.executor.instances=${RANKS}"
PROPS+=",spark.executor.cores=${CORES_PER_RANK},spark.task.cpus=${CORES_PER_RANK}"
PROPS+=",spark.executor.memory=${EXECUTOR_MEMORY},spark.executor.memoryOverhead=${OVERHEAD_MIB}m"
PROPS+=",spark.executor.resource.gpu.amount=1,spark.task.resource.gpu.amount=1"
PROPS+=",spark.executor.resource.gpu.discoveryScript=/usr/lib/spark/scripts/gpu/getGpusResources.sh"
PROPS+=",spark.dynamicAllocation.enabled=false"
PROPS+=",spark.barrier.sync.timeout=${BARRIER_TIMEOUT}"
PROPS+=",spark.scheduler.barrier.maxConcurrentTasksCheck.interval=15s"
PROPS+=",spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures=100"
PROPS+=",spark.executorEnv.OPT_OUT_TRACKING=true,spark.yarn.appMasterEnv.OPT_OUT_TRACKING=true"
PROPS+=",spark.executorEnv.DJL_CACHE_DIR=${DJL_CACHE_DIR},spark.executorEnv.DJL_OFFLINE=${DJL_OFFLINE}"
if [[ -n "${PYTORCH_LIBRARY_PATH:-}" ]]; then
  PROPS+=",spark.executorEnv.PYTORCH_LIBRARY_PATH=${PYTORCH_LIBRARY_PATH}"
fi

TRAIN_FLAGS=(--max-attempts "$MAX_ATTEMPTS" --child-heap "$CHILD_HEAP")
if [[ -n "${LIBTORCH:-}" ]]; then
  TRAIN_FLAGS+=(--libtorch "$LIBTORCH")
fi
if [[ -n "${HF_TOKEN_FILE:-}" ]]; then
  TRAIN_FLAGS+=(--hf-token-file "$HF_TOKEN_FILE")
fi
if [[ "${FP16_WIRE:-false}" == "true" ]]; then
  TRAIN_FLAGS+=(--fp16-wire)
fi

# ^#^ makes '#' the list separator, so values may contain commas
gcloud dataproc jobs submit spark \
  --cluster "$CLUSTER" --region "$REGION" \
  --class dev.finetune.app.cli.Main \
  --jars "$JAR" \
  --properties "^#^${PROPS//,/#}" \
  -- train --world-size "$RANKS" "${TRAIN_FLAGS[@]}" "$@"
