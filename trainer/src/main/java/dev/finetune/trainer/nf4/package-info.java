/**
 * NF4 quantization of frozen base weights the bitsandbytes way (docs/formats.md): the 16-value NF4 code
 * book, blocks of 64 with a float32 absmax each, optional double quantization of the absmax (blocks of 256,
 * signed 8-bit dynamic code, mean offset), and the layout bitsandbytes writes (two codes per byte, element 2k
 * in the high nibble), which is also how the codes sit in device memory.
 *
 * <p>Owns: {@link dev.finetune.trainer.nf4.Nf4Weight} (a {@code LinearWeight}),
 * {@link dev.finetune.trainer.nf4.Nf4WeightFactory} (what the model loader plugs in:
 * {@code new LoadOptions(device, computeType, Nf4WeightFactory.defaults())}; {@code forBase(use4bit, doubleQuant)}
 * is the one use_4bit / double_quant choice train, generate and chat make), the quantizer that runs with
 * NDArray ops on the weight's device, the bitsandbytes state-dict codec ({@code BnbNf4Tensors}) and a
 * micro-benchmark ({@code Nf4Benchmark}).
 * Must not import Spark.
 */
package dev.finetune.trainer.nf4;
