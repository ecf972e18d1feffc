/**
 * Which device a command runs on, and how much memory it uses there.
 *
 * <p>The GPU question is answered by the engine itself: a device counts as usable when PyTorch reports CUDA and
 * a tensor can be made on it. DJL's own count ({@code CudaUtils}, JNA on {@code libcudart}) is used only as a
 * hint, since it reads 0 wherever JNA cannot find an unversioned {@code libcudart.so} although PyTorch runs on the
 * GPU (Colab, Dataproc's GPU images, machines with a pip-installed torch). Every command states the device it
 * chose and why. GPU memory is read from the driver ({@code nvidia-smi}) when JNA cannot reach the CUDA runtime.
 *
 * <p>Imports DJL's API only; used by the commands (train, generate, bench, the rank launcher).
 */
package dev.finetune.trainer.device;
