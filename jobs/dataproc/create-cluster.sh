#!/usr/bin/env bash
# jobs/dataproc/create-cluster.sh: a Dataproc cluster with one NVIDIA GPU per worker, ready for
# jobs/dataproc/submit-train.sh (docs/platforms.md says why each choice). Every knob is an environment variable:
#
#   PROJECT, REGION, ZONE   where the cluster goes (REGION also picks the init-action bucket)
#   CLUSTER                 cluster name (default finetune-gpu)
#   IMAGE_VERSION           Dataproc image, default 2.2-debian12: Spark 3.5 / Scala 2.12 / Java 11, which our
#                           _2.12 jar needs (3.0 images are Spark 4 / Scala 2.13 and cannot load it)
#   NUM_WORKERS             GPU workers = ranks (default 2)
#   WORKER_MACHINE_TYPE     default g2-standard-8 (fits GPU_TYPE nvidia-l4); n1-standard-8 for nvidia-tesla-t4,
#                           a2-highgpu-1g for nvidia-tesla-a100
#   GPU_TYPE, GPUS_PER_WORKER  accelerator per worker (default nvidia-l4 × 1). One GPU per worker VM is the safe
#                           layout: the GPU discovery script caches its answer per node
#   CUDA_VERSION            metadata for the GPU driver init action (default 12.8: DJL's libtorch is cu128)
#   INIT_TIMEOUT            --initialization-action-timeout; the driver build can take far longer than
#                           gcloud's 10 min default on small nodes (default 60m)
#   WORKER_DISK_GB          boot disk per worker; libtorch cu128 is about 2 GB per node plus model weights
#
# Fixed choices, and why:
#   install_gpu_driver.sh   Google's init action installs the NVIDIA driver + CUDA and configures YARN GPU
#                           scheduling and Spark's discovery script /usr/lib/spark/scripts/gpu/getGpusResources.sh
#   install-gpu-agent=false the monitoring agent needs the monitoring.write scope; not needed for training
#   --no-shielded-secure-boot  the driver's kernel modules are unsigned
#   spark.dynamicAllocation.enabled=false  barrier stages refuse to run with it on
#   spark.executor.resource.gpu.amount=1 / spark.task.resource.gpu.amount=1  one GPU per executor and per task
#   spark.barrier.sync.timeout=3600s  a rank that never reaches the address exchange fails the attempt (default 365 d)
set -euo pipefail

: "${PROJECT:?set PROJECT to your Google Cloud project}"
REGION="${REGION:-us-central1}"
ZONE="${ZONE:-${REGION}-a}"
CLUSTER="${CLUSTER:-finetune-gpu}"
IMAGE_VERSION="${IMAGE_VERSION:-2.2-debian12}"
NUM_WORKERS="${NUM_WORKERS:-2}"
WORKER_MACHINE_TYPE="${WORKER_MACHINE_TYPE:-g2-standard-8}"
GPU_TYPE="${GPU_TYPE:-nvidia-l4}"
GPUS_PER_WORKER="${GPUS_PER_WORKER:-1}"
CUDA_VERSION="${CUDA_VERSION:-12.8}"
INIT_TIMEOUT="${INIT_TIMEOUT:-60m}"
WORKER_DISK_GB="${WORKER_DISK_GB:-200}"

gcloud dataproc clusters create "$CLUSTER" \
  --project "$PROJECT" --region "$REGION" --zone "$ZONE" \
  --image-version "$IMAGE_VERSION" \
  --master-machine-type n2-standard-4 --master-boot-disk-size 100GB \
  --num-workers "$NUM_WORKERS" --worker-machine-type "$WORKER_MACHINE_TYPE" \
  --worker-boot-disk-size "${WORKER_DISK_GB}GB" \
  --worker-accelerator "type=${GPU_TYPE},count=${GPUS_PER_WORKER}" \
  --initialization-actions "gs://goog-dataproc-initialization-actions-${REGION}/gpu/install_gpu_driver.sh" \
  --initialization-action-timeout "$INIT_TIMEOUT" \
  --metadata "install-gpu-agent=false,cuda-version=${CUDA_VERSION}" \
  --no-shielded-secure-boot \
  --properties "spark:spark.dynamicAllocation.enabled=false,spark:spark.executor.resource.gpu.amount=1,spark:spark.task.resource.gpu.amount=1,spark:spark.executor.resource.gpu.discoveryScript=/usr/lib/spark/scripts/gpu/getGpusResources.sh,spark:spark.barrier.sync.timeout=3600s"

echo "cluster $CLUSTER is up; check a worker once: gcloud compute ssh ${CLUSTER}-w-0 --zone $ZONE -- nvidia-smi"
