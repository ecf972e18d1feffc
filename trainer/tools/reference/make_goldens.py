"""The reference-output generator of test-fixtures/reference, with more FAMILIES (qwen3, mistral, llama3).

Golden fixtures from the reference Python stack (transformers + peft), run on the GPU machine's CPU.

Writes, per tiny model family, under OUT/<name>/:
  base/            config.json + model.safetensors (bf16, as real checkpoints ship)
  inputs.safetensors   input_ids [2,T] int64, labels [2,T] int64 (-100 masked), prompt_ids [1,P]
  logits_base.safetensors  fp32 logits of the base model on input_ids (weights upcast bf16->fp32)
  adapter/         PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors), B non-zero
  logits_lora.safetensors  fp32 logits with the adapter
  merged.safetensors       fp32 merged weights (merge_and_unload)
  train_step.safetensors   loss, LoRA grads, LoRA weights after one AdamW step (both rows as one batch)
  train_steps3.safetensors + .json  LoRA weights after 3 optimizer steps, each of 2 micro-batches, with
                           global-norm clipping and a per-step learning rate (the .json says exactly how)
  generate.json            greedy continuation of prompt_ids with the adapter
"""
import json, os, sys, math
import torch
from safetensors.torch import save_file, load_file
import transformers, peft
from transformers import AutoModelForCausalLM

OUT = sys.argv[1]
ONLY = sys.argv[2].split(",") if len(sys.argv) > 2 else None
torch.manual_seed(0)
FAMILIES = {
  "llama": dict(model_type="llama", architectures=["LlamaForCausalLM"], hidden_size=64, intermediate_size=176,
                num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, vocab_size=512,
                max_position_embeddings=256, rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False,
                bos_token_id=1, eos_token_id=2),
  "qwen2": dict(model_type="qwen2", architectures=["Qwen2ForCausalLM"], hidden_size=64, intermediate_size=160,
                num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, vocab_size=512,
                max_position_embeddings=256, rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True,
                bos_token_id=1, eos_token_id=2),
  # Families added by this project (trainer/src/test/resources/goldens). transformers 5 writes them in its
  # own config style (rope_parameters, dtype), so they also cover that style.
  # qwen3: q_norm/k_norm, head_dim (32) != hidden/heads (16), tied head.
  "qwen3": dict(model_type="qwen3", architectures=["Qwen3ForCausalLM"], hidden_size=64, intermediate_size=160,
                num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=32, vocab_size=512,
                max_position_embeddings=256, rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True,
                bos_token_id=1, eos_token_id=2),
  # mistral: sliding window of 8 tokens, shorter than the 24-token inputs and the 18-token generation.
  "mistral": dict(model_type="mistral", architectures=["MistralForCausalLM"], hidden_size=64, intermediate_size=176,
                  num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, vocab_size=512,
                  max_position_embeddings=256, rms_norm_eps=1e-5, rope_theta=10000.0, sliding_window=8,
                  tie_word_embeddings=False, bos_token_id=1, eos_token_id=2),
  # llama3: rope_scaling of type llama3; with head_dim 16 and original_max_position_embeddings 64 the
  # frequencies fall in all three regimes (kept, smoothed, divided by the factor).
  "llama3": dict(model_type="llama", architectures=["LlamaForCausalLM"], hidden_size=64, intermediate_size=176,
                 num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, vocab_size=512,
                 max_position_embeddings=256, rms_norm_eps=1e-5, rope_theta=500000.0,
                 rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                                   original_max_position_embeddings=64),
                 tie_word_embeddings=False, bos_token_id=1, eos_token_id=2),
}
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

def build(name, spec):
    d = os.path.join(OUT, name); os.makedirs(d, exist_ok=True)
    cfg = transformers.AutoConfig.for_model(**{k: v for k, v in spec.items() if k != "architectures"})
    cfg.architectures = spec["architectures"]
    torch.manual_seed(sum(map(ord, name)))
    model = AutoModelForCausalLM.from_config(cfg, attn_implementation="eager")
    with torch.no_grad():
        for n, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * (0.08 if "embed" in n or "lm_head" in n else 0.25))
        for n, p in model.named_parameters():
            if "norm" in n: p.copy_(1.0 + 0.1 * torch.randn_like(p))
    model = model.to(torch.bfloat16)
    model.save_pretrained(os.path.join(d, "base"), safe_serialization=True)
    model = AutoModelForCausalLM.from_pretrained(os.path.join(d, "base"), dtype=torch.float32, attn_implementation="eager")
    model.eval()
    g = torch.Generator().manual_seed(7)
    T = 24
    input_ids = torch.randint(3, spec["vocab_size"], (2, T), generator=g)
    labels = input_ids.clone(); labels[0, :5] = -100; labels[1, :9] = -100
    prompt_ids = torch.randint(3, spec["vocab_size"], (1, 6), generator=g)
    with torch.no_grad():
        for _ in range(50):  # pick a prompt whose greedy continuation varies (repeats hide KV-cache/RoPE bugs)
            out = model.generate(prompt_ids, max_new_tokens=12, do_sample=False, eos_token_id=None, pad_token_id=0)
            if len(set(out[0, 6:].tolist())) >= 7:
                break
            prompt_ids = torch.randint(3, spec["vocab_size"], (1, 6), generator=g)
    save_file({"input_ids": input_ids, "labels": labels, "prompt_ids": prompt_ids}, os.path.join(d, "inputs.safetensors"))
    with torch.no_grad():
        save_file({"logits": model(input_ids).logits.contiguous()}, os.path.join(d, "logits_base.safetensors"))
    lcfg = peft.LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=TARGETS, task_type="CAUSAL_LM")
    pm = peft.get_peft_model(model, lcfg)
    with torch.no_grad():
        for n, p in pm.named_parameters():
            if "lora_B" in n: p.copy_(0.05 * torch.randn_like(p))
    pm.save_pretrained(os.path.join(d, "adapter"))
    pm.eval()
    with torch.no_grad():
        save_file({"logits": pm(input_ids).logits.contiguous()}, os.path.join(d, "logits_lora.safetensors"))
        out = pm.generate(prompt_ids, max_new_tokens=12, do_sample=False, eos_token_id=None, pad_token_id=0)
    json.dump({"prompt_ids": prompt_ids[0].tolist(), "greedy_ids": out[0, prompt_ids.shape[1]:].tolist(),
               "note": "greedy, 12 new tokens, base+adapter, fp32, eos ignored"}, open(os.path.join(d, "generate.json"), "w"))
    # one training step: mean CE over unmasked shifted tokens, AdamW
    pm.train()
    trainable = {n: p for n, p in pm.named_parameters() if p.requires_grad}
    start = {n: p.detach().clone() for n, p in trainable.items()}
    opt = torch.optim.AdamW(trainable.values(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    loss = pm(input_ids, labels=labels).loss
    loss.backward()
    grads = {peft_key(n) + ".grad": p.grad.detach().clone() for n, p in trainable.items()}
    opt.step()
    after = {peft_key(n): p.detach().clone() for n, p in trainable.items()}
    save_file({"loss": loss.detach().reshape(1), **grads, **after}, os.path.join(d, "train_step.safetensors"))
    # multi-step: restart from the saved adapter state
    with torch.no_grad():
        for n, p in trainable.items():
            p.copy_(start[n])
    opt = torch.optim.AdamW(trainable.values(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    lrs, losses, norms = [5e-4, 1e-3, 1e-3], [], []
    shift_targets = (labels[:, 1:] != -100).sum().item()
    for step, lr in enumerate(lrs):
        for gparam in opt.param_groups: gparam["lr"] = lr
        total = 0.0
        for row in range(2):
            logits = pm(input_ids[row:row + 1]).logits[:, :-1].float()
            tgt = labels[row:row + 1, 1:]
            l = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), ignore_index=-100, reduction="sum") / shift_targets
            l.backward(); total += float(l)
        norms.append(float(torch.nn.utils.clip_grad_norm_(list(trainable.values()), 0.5)))
        opt.step(); opt.zero_grad(set_to_none=True); losses.append(total)
    final = {peft_key(n): p.detach().clone() for n, p in trainable.items()}
    save_file(final, os.path.join(d, "train_steps3.safetensors"))
    json.dump({"losses": losses, "grad_norms_before_clip": norms, "lrs": lrs, "max_grad_norm": 0.5,
               "micro_batches": "row 0 then row 1 of inputs.safetensors, one optimizer step after both",
               "loss": "sum of token cross-entropies over both micro-batches / number of targets in the step",
               "optimizer": "torch.optim.AdamW betas (0.9,0.999) eps 1e-8 weight_decay 0.01",
               "start": "adapter/adapter_model.safetensors"}, open(os.path.join(d, "train_steps3.json"), "w"), indent=1)
    merged = pm.merge_and_unload()
    save_file({k: v.contiguous() for k, v in merged.state_dict().items() if "lm_head" not in k or not cfg.tie_word_embeddings},
              os.path.join(d, "merged.safetensors"))
    print(name, "loss", float(loss), "params", sum(p.numel() for p in model.parameters()))

def peft_key(n):
    # peft runtime name -> saved adapter key (adapter name 'default' stripped)
    return n.replace(".default", "")

for name, spec in FAMILIES.items():
    if ONLY is None or name in ONLY:
        build(name, spec)
json.dump({"transformers": transformers.__version__, "peft": peft.__version__, "torch": torch.__version__},
          open(os.path.join(OUT, "versions.json"), "w"))
print(open(os.path.join(OUT, "versions.json")).read())
