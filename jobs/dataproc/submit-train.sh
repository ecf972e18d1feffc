#!/usr/bin/env bash
# jobs/dataproc/submit-train.sh [trainer flags...]: data-parallel QLoRA training on a GPU Dataproc cluster made by
# jobs/dataproc/create-cluster.sh. One Spark barrier task per GPU; each supervises a trainer JVM pinned to its
# GPU (dev.finetune.trainer.distributed.DistributedTrain). The arguments go to `finetune train`, e.g.
#   RANKS=2 JAR=gs://my-bucket/app-0.1.0-SNAPSHOT-spark.jar \
#     jobs/dataproc/submit-train.sh --config gs://my-bucket/conf/train.yaml
#
# Knobs (environment variables):
#   CLUSTER, REGION         the cluster (defaults finetune-gpu, us-central1)
#   JAR                     the thin jar app/target/app-<version>-spark.jar, local or gs://
#   RANKS                   number of ranks = GPUs = executors (default 2)
#   CORES_PER_RANK          spark.executor.cores = spark.task.cpus, so exactly one task fits an executor
#                           (DJL allows one gradient collector per JVM; default 4)
#   EXECUTOR_MEMORY         executor JVM heap; the trainer runs in a child JVM, so this stays small (default 4g)
#   CHILD_HEAP              -Xmx of each rank's trainer JVM (default 24g; the model itself lives on the GPU)
#   MAX_ATTEMPTS            whole-job attempts: Spark never retries a failed barrier result stage, so the driver
#                           resubmits and every rank resumes from the last checkpoint (default 3)
#   DJL_CACHE_DIR           where DJL puts libtorch on each node (default /tmp/djl-cache: node-local, kept between
#                           attempts; never a Drive or GCS path)
#   DJL_OFFLINE             true with PYTORCH_LIBRARY_PATH set to a libtorch 2.7.1+cu128 installed on the nodes;
#                           default false: DJL downloads cu128 libtorch (about 2 GB) once per node
#   PYTORCH_LIBRARY_PATH    optional, see DJL_OFFLINE
#   FP16_WIRE               true sends gradients as FP16 (half the all-reduce bytes; see the collective's benchmark)
#   BARRIER_TIMEOUT         spark.barrier.sync.timeout (default 3600s): a rank stuck before the address exchange
#                           fails the attempt instead of waiting Spark's default 365 days
#
# Fixed settings, and why:
#   spark.executor.resource.gpu.amount=1, spark.task.resource.gpu.amount=1, the discovery script: one GPU per task;
#     the task pins it with CUDA_VISIBLE_DEVICES for its trainer JVM
#   spark.dynamicAllocation.enabled=false: barrier stages refuse dynamic allocation
#   spark.scheduler.barrier.maxConcurrentTasksCheck.*: wait up to ~25 min for all GPU executors to register
#   OPT_OUT_TRACKING=true (driver and executors): DJL would otherwise call the GCE metadata server and S3
#   HF_TOKEN is NOT passed: Dataproc shows job properties to everyone who can see the job. Put the base model on
#     GCS first (`finetune` downloads with the token on your machine) and give its gs:// path in the config.
set -euo pipefail

CLUSTER="${CLUSTER:-finetune-gpu}"
REGION="${REGION:-us-central1}"
: "${JAR:?set JAR to app/target/app-<version>-spark.jar (local path or gs://)}"
RANKS="${RANKS:-2}"
CORES_PER_RANK="${CORES_PER_RANK:-4}"
EXECUTOR_MEMORY="${EXECUTOR_MEMORY:-4g}"
CHILD_HEAP="${CHILD_HEAP:-24g}"
MAX_ATTEMPTS="${MAX_ATTEMPTS:-3}"
DJL_CACHE_DIR="${DJL_CACHE_DIR:-/tmp/djl-cache}"
DJL_OFFLINE="${DJL_OFFLINE:-false}"
BARRIER_TIMEOUT="${BARRIER_TIMEOUT:-3600s}"

PROPS="spark.executor.instances=${RANKS}"
PROPS+=",spark.executor.cores=${CORES_PER_RANK},spark.task.cpus=${CORES_PER_RANK}"
PROPS+=",spark.executor.memory=${EXECUTOR_MEMORY}"
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

JOB_FLAGS=(--ranks "$RANKS" --max-attempts "$MAX_ATTEMPTS" --child-jvm-option "-Xmx${CHILD_HEAP}")
if [[ "${FP16_WIRE:-false}" == "true" ]]; then
  JOB_FLAGS+=(--fp16-wire)
fi

# ^#^ makes '#' the list separator, so values may contain commas
gcloud dataproc jobs submit spark \
  --cluster "$CLUSTER" --region "$REGION" \
  --class dev.finetune.trainer.distributed.DistributedTrain \
  --jars "$JAR" \
  --properties "^#^${PROPS//,/#}" \
  -- "${JOB_FLAGS[@]}" -- train "$@"
