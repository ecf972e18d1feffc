"""A torch.profiler trace of one reference step (transformers + peft, as gpu_check.py ref-bench) on LAYERS layers,
for kernel_summary.py:  python3 trainer/tools/gpu/ref_profile.py SHAPE SEQ MB LAYERS OUT.json"""
import sys
import torch, transformers, peft
from torch.profiler import profile, ProfilerActivity
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from gpu_check import SHAPES

shape, seq, mb, layers, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
kw = dict(SHAPES[shape]); mt = kw.pop("model_type"); kw["num_hidden_layers"] = layers
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
ids = torch.randint(0, cfg.vocab_size, (mb, seq), device="cuda")

def step():
    model(input_ids=ids, labels=ids).loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)

for _ in range(3):
    step()
torch.cuda.synchronize()
with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
    step()
    torch.cuda.synchronize()
prof.export_chrome_trace(out)
