"""Python side of trainer/tools/gpu/check.sh: the reference stack (torch, transformers, peft) that the Java
trainer's GPU runs are compared with. Subcommands:

  make-model OUT TOKDIR          tiny random Qwen3 model (BF16 safetensors, the Qwen3 tokenizer from TOKDIR)
  same-adapter A B TOL           do two adapter folders hold the same LoRA tensors within TOL (max |a-b| / max |a|)?
  peft-generate MODEL ADAPTER IDS N   greedy ids from transformers + peft on the GPU in FP32 (JSON list)
  merged-logits MODEL ADAPTER MERGED  logits of base + adapter (peft) against the merged folder (transformers)
  curves FP32_METRICS FP16_METRICS    how closely an FP16 run's loss curve tracks the FP32 run's
  ref-bench SHAPE SEQ MB STEPS   transformers + peft bf16 LoRA step (r=16, all linear, SDPA, gradient
                                 checkpointing) on random weights of a real shape: tokens/s (JSON line)
  peak-mib FILE                  the largest value in an nvidia-smi memory.used log
  table ROWS.jsonl               the markdown table of ours beside the reference
Every subcommand prints one JSON line (or the table) and exits non-zero when its check fails.
"""
import json, os, shutil, statistics, sys, time, glob

def load_adapter(d):
    from safetensors.torch import load_file
    return load_file(os.path.join(d, "adapter_model.safetensors"))

def make_model(out, tokdir):
    import torch, transformers
    cfg = transformers.AutoConfig.for_model("qwen3", hidden_size=256, intermediate_size=768, num_hidden_layers=4,
        num_attention_heads=4, num_key_value_heads=2, head_dim=64, vocab_size=151669, tie_word_embeddings=False,
        rope_theta=1000000.0, rms_norm_eps=1e-6, max_position_embeddings=4096, bos_token_id=151643,
        eos_token_id=151645)
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(cfg, dtype=torch.float32)
    model.to(torch.bfloat16).save_pretrained(out, safe_serialization=True)
    for f in os.listdir(tokdir):
        shutil.copy(os.path.join(tokdir, f), out)
    print(json.dumps({"model": out, "params": sum(p.numel() for p in model.parameters())}))

def same_adapter(a, b, tol):
    x, y = load_adapter(a), load_adapter(b)
    if sorted(x) != sorted(y):
        print(json.dumps({"ok": False, "error": "different tensor names"})); return False
    worst = max(((x[k].float() - y[k].float()).abs().max() / x[k].float().abs().max().clamp_min(1e-30)).item() for k in x)
    ok = worst <= tol
    print(json.dumps({"ok": ok, "tensors": len(x), "max_rel_diff": worst, "tolerance": tol}))
    return ok

def peft_model(model_dir, adapter):
    import torch, transformers, peft
    m = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager").cuda()
    if adapter != "none":
        m = peft.PeftModel.from_pretrained(m, adapter)
    return m.eval()

def peft_generate(model_dir, adapter, ids, n):
    import torch
    m = peft_model(model_dir, adapter)
    x = torch.tensor([[int(i) for i in ids.split(",")]], device="cuda")
    with torch.no_grad():
        for _ in range(int(n)):
            nxt = m(x).logits[:, -1].argmax(-1, keepdim=True)
            x = torch.cat([x, nxt], 1)
    print(json.dumps(x[0, len(ids.split(",")):].tolist()))
    return True

def merged_logits(model_dir, adapter, merged):
    import torch, transformers
    ids = torch.randint(0, 151669, (2, 64), generator=torch.Generator().manual_seed(1)).cuda()
    with torch.no_grad():
        a = peft_model(model_dir, adapter)(ids).logits.float()
        mm = transformers.AutoModelForCausalLM.from_pretrained(merged, dtype=torch.float32, attn_implementation="eager").cuda().eval()
        b = mm(ids).logits.float()
    rel = ((a - b).abs().max() / a.abs().max()).item()
    ok = rel <= 2e-2  # the merged folder is stored in BF16 unless --dtype fp32
    print(json.dumps({"ok": ok, "max_rel_diff_logits": rel}))
    return ok

def read_losses(path):
    out = {}
    for f in sorted(glob.glob(path)):
        for line in open(f):
            r = json.loads(line)
            if "loss" in r and "step" in r and r.get("kind", "train") == "train":
                out[r["step"]] = r["loss"]
    return out

def curves(fp32, fp16):
    a, b = read_losses(fp32), read_losses(fp16)
    steps = sorted(set(a) & set(b))
    diffs = [abs(a[s] - b[s]) for s in steps]
    last = steps[-10:]
    tail = statistics.mean(abs(a[s] - b[s]) / abs(a[s]) for s in last) if last else float("nan")
    ok = bool(steps) and tail <= 0.02
    print(json.dumps({"ok": ok, "steps_compared": len(steps), "max_abs_diff": max(diffs) if diffs else None,
                      "mean_rel_diff_last_10": tail, "fp32_first_last": [a[steps[0]], a[steps[-1]]] if steps else None,
                      "fp16_first_last": [b[steps[0]], b[steps[-1]]] if steps else None}))
    return ok

SHAPES = {
  "qwen2.5-0.5b": dict(model_type="qwen2", hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
      num_attention_heads=14, num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=True,
      rope_theta=1000000.0, rms_norm_eps=1e-6, max_position_embeddings=32768),
  "qwen2-7b": dict(model_type="qwen2", hidden_size=3584, intermediate_size=18944, num_hidden_layers=28,
      num_attention_heads=28, num_key_value_heads=4, vocab_size=152064, tie_word_embeddings=False,
      rope_theta=1000000.0, rms_norm_eps=1e-6, max_position_embeddings=32768),
  "llama3-8b": dict(model_type="llama", hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
      num_attention_heads=32, num_key_value_heads=8, vocab_size=128256, tie_word_embeddings=False,
      rope_theta=500000.0, rms_norm_eps=1e-5, max_position_embeddings=8192),
}

def ref_step(shape, seq, mb, layers=None):
    """The reference's training step on random weights of SHAPE (LAYERS decoder layers, default the shape's own):
    transformers + peft bf16 LoRA r=16 on all seven projections, SDPA, gradient checkpointing, AdamW. Returns
    step() and the config."""
    import torch, transformers, peft
    kw = dict(SHAPES[shape]); mt = kw.pop("model_type")
    if layers is not None:
        kw["num_hidden_layers"] = int(layers)
    cfg = transformers.AutoConfig.for_model(mt, **kw)
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = transformers.AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16, attn_implementation="sdpa")
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.enable_input_require_grads()
    targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    model = peft.get_peft_model(model, peft.LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules=targets,
                                                       task_type="CAUSAL_LM"))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    ids = torch.randint(0, cfg.vocab_size, (int(mb), int(seq)), device="cuda")

    def step():
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
    return step, cfg

def ref_bench(shape, seq, mb, steps):
    import torch, transformers, peft
    seq, mb, steps = int(seq), int(mb), int(steps)
    step, _ = ref_step(shape, seq, mb)
    times = []
    for _ in range(steps):
        torch.cuda.synchronize(); t = time.perf_counter()
        step()
        torch.cuda.synchronize(); times.append(time.perf_counter() - t)
    med = statistics.median(times[2:])
    print(json.dumps(dict(shape=shape, seq=seq, micro_batch=mb, tokens_per_s=round(mb * seq / med), step_s=round(med, 4),
        torch_peak_allocated_gib=round(torch.cuda.max_memory_allocated() / 2**30, 2), gpu=torch.cuda.get_device_name(0),
        torch=torch.__version__, transformers=transformers.__version__, peft=peft.__version__)))
    return True

def peak_mib(path):
    vals = [float(l.strip().split()[0]) for l in open(path) if l.strip() and l.strip()[0].isdigit()]
    print(max(vals) if vals else "nan")
    return True

def table(rows_path):
    print("| shape, tokens/step | ours tok/s | reference tok/s | ratio | ours GiB | reference GiB | memory ratio |")
    print("|---|---|---|---|---|---|---|")
    for line in open(rows_path):
        r = json.loads(line)
        o, f = r["ours"], r["ref"]
        ratio = o["tokens_per_s"] / f["tokens_per_s"] if f.get("tokens_per_s") else float("nan")
        om, fm = r["ours_gib"], r["ref_gib"]
        print(f"| {r['shape']} {r['mb']}×{r['seq']} | {o['tokens_per_s']:,.0f} | {f['tokens_per_s']:,.0f} | {ratio:.2f} | "
              f"{om:.1f} | {fm:.1f} | {om / fm:.2f} |")
    return True

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    fns = {"make-model": make_model, "same-adapter": lambda a, b, t: same_adapter(a, b, float(t)),
           "peft-generate": peft_generate, "merged-logits": merged_logits, "curves": curves, "ref-bench": ref_bench,
           "peak-mib": peak_mib, "table": table}
    sys.exit(0 if fns[cmd](*args) else 1)
