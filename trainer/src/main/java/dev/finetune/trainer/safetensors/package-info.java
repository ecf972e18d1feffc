/**
 * Reading and writing the safetensors format (https://github.com/huggingface/safetensors): our own reader
 * because DJL's fails on files of 2 GiB and more and cannot hold BF16 (docs/djl.md, docs/formats.md). Tensors are
 * memory-mapped one at a time; BF16 is converted in Java. Owns no model knowledge; imports DJL only to
 * hand tensors over.
 */
package dev.finetune.trainer.safetensors;
