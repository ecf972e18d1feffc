/**
 * Tensor helpers over DJL NDArrays that the model, LoRA, NF4 and the optimizer share, and the one place that
 * reaches past DJL's engine-neutral API into its PyTorch specifics ({@code ai.djl.pytorch}): grad mode per call
 * ({@link dev.finetune.trainer.tensor.GradMode}), backward with upstream gradients, from one root or several at once
 * ({@link dev.finetune.trainer.tensor.Autograd}), dtype casts and scalars that keep autograd intact
 * ({@link dev.finetune.trainer.tensor.Ops}), the TorchScript kernels shipped as {@code .pt} resources next to
 * {@link dev.finetune.trainer.tensor.ScriptModules} (sources: trainer/tools/torchscript/make_modules.py),
 * the profiler ({@link dev.finetune.trainer.tensor.OpProfiler}) and the GPU allocator's cache
 * ({@link dev.finetune.trainer.tensor.DeviceCache}). Knows no model, adapter or file format.
 */
package dev.finetune.trainer.tensor;
