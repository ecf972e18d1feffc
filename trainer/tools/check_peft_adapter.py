"""Does Python peft load an adapter our trainer saved, and give the logits our Java forward gives?

Needs only torch, transformers and peft. Run on any machine with them (the coordinator runs it on the GPU
machine's CPU):

  python trainer/tools/check_peft_adapter.py --base BASE_DIR --adapter OUT/PROJECT/final \
      --inputs inputs.safetensors --java-logits java_logits.safetensors

BASE_DIR: the base model folder (config.json + *.safetensors); the adapter folder: what `train` wrote to
final/ (adapter_config.json + adapter_model.safetensors); inputs: `input_ids` [B, T] int64; java logits:
`logits` [B, T, V] fp32 written by `dev.finetune.trainer.train.AdapterLogits` (trainer's test sources; its javadoc
gives the java command) from the same three inputs.
Prints one JSON line; exit status 0 when max|py - java| / max|py| <= --tolerance (default 1e-4).
"""
import argparse, json, sys
import torch
from safetensors.torch import load_file
import transformers, peft
from transformers import AutoModelForCausalLM
from peft import PeftModel

ap = argparse.ArgumentParser()
ap.add_argument("--base", required=True)
ap.add_argument("--adapter", required=True)
ap.add_argument("--inputs", required=True)
ap.add_argument("--java-logits", required=True)
ap.add_argument("--tolerance", type=float, default=1e-4)
a = ap.parse_args()

model = AutoModelForCausalLM.from_pretrained(a.base, dtype=torch.float32, attn_implementation="eager")
model = PeftModel.from_pretrained(model, a.adapter)  # raises on unknown or missing keys, wrong shapes
model.eval()
ids = load_file(a.inputs)["input_ids"].long()
with torch.no_grad():
    py = model(ids).logits.float()
java = load_file(a.java_logits)["logits"].float()
if tuple(py.shape) != tuple(java.shape):
    print(json.dumps({"ok": False, "error": f"shape python {tuple(py.shape)} vs java {tuple(java.shape)}"}))
    sys.exit(1)
rel = ((py - java).abs().max() / py.abs().max()).item()
# peft only warns about adapter keys it could not place: count them, and check that every saved tensor
# arrived unchanged and that the adapter really changes the output (a silently ignored adapter would not)
saved = load_file(a.adapter + "/adapter_model.safetensors")
params = {n.replace(".default", ""): p for n, p in model.named_parameters() if "lora_" in n}
missing = sorted(k for k in saved if k not in params)
mismatched = sorted(k for k in saved if k in params and not torch.equal(saved[k].float(), params[k].detach().float()))
with torch.no_grad(), model.disable_adapter():
    base = model(ids).logits.float()
effect = ((py - base).abs().max() / py.abs().max()).item()
loaded = len(params)
ok = rel <= a.tolerance and not missing and not mismatched and loaded == len(saved) and effect > 100 * a.tolerance
out = {"ok": ok, "max_rel_diff": rel, "tolerance": a.tolerance, "lora_tensors": loaded,
       "saved_tensors": len(saved), "missing_in_model": missing[:5], "changed_on_load": mismatched[:5],
       "adapter_effect_rel": effect,
       "logits_shape": list(py.shape), "torch": torch.__version__, "transformers": transformers.__version__,
       "peft": peft.__version__}
print(json.dumps(out))
sys.exit(0 if out["ok"] else 1)
