"""Golden values for the trainer's optimizer pieces, from torch and transformers themselves (CPU is enough).

Writes one JSON file (argument 1) that trainer tests read:
  adamw:     torch.optim.AdamW over two FP32 tensors, 4 steps with given gradients and per-step learning rates
  clip:      torch.nn.utils.clip_grad_norm_ on the same shapes (norm before clipping, gradients after)
  schedules: transformers.get_scheduler learning rates per optimizer step for linear/cosine/constant(_with_warmup)
  scaler:    torch.amp.GradScaler scale after each step for a pattern of finite / overflowing steps
Inputs are written into the JSON too, so the Java side rebuilds exactly the same problem.
Run: python make_optimizer_goldens.py trainer/src/test/resources/dev/finetune/trainer/train/optimizer_goldens.json
"""
import json, sys
import torch
import transformers

torch.manual_seed(1234)
out = {"versions": {"torch": torch.__version__, "transformers": transformers.__version__}}

shapes = [(3, 5), (7,)]
init = [torch.randn(s) for s in shapes]
steps = 4
grads = [[torch.randn(s) * (0.1 + k) for s in shapes] for k in range(steps)]
lrs = [5e-4, 1e-3, 1e-3, 2e-4]
params = [torch.nn.Parameter(t.clone()) for t in init]
opt = torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, foreach=False)
after = []
for k in range(steps):
    for p, g in zip(params, grads[k]):
        p.grad = g.clone()
    for group in opt.param_groups:
        group["lr"] = lrs[k]
    opt.step()
    after.append([p.detach().flatten().tolist() for p in params])
out["adamw"] = {"shapes": shapes, "init": [t.flatten().tolist() for t in init],
                "grads": [[g.flatten().tolist() for g in gs] for gs in grads], "lrs": lrs,
                "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.01, "after_each_step": after}

clip_grads = [torch.randn(s) * 3 for s in shapes]
ps = [torch.nn.Parameter(torch.zeros(s)) for s in shapes]
for p, g in zip(ps, clip_grads):
    p.grad = g.clone()
norm = torch.nn.utils.clip_grad_norm_(ps, 0.5, foreach=False)
out["clip"] = {"grads": [g.flatten().tolist() for g in clip_grads], "max_norm": 0.5, "norm": norm.item(),
               "clipped": [p.grad.flatten().tolist() for p in ps]}

sched = {}
for name in ["linear", "cosine", "constant_with_warmup", "constant"]:
    p = torch.nn.Parameter(torch.zeros(1))
    o = torch.optim.AdamW([p], lr=2e-4)
    s = transformers.get_scheduler(name, o, num_warmup_steps=3, num_training_steps=10)
    values = []
    for _ in range(12):
        values.append(o.param_groups[0]["lr"])
        o.step(); s.step()
    sched[name] = values
out["schedules"] = {"base_lr": 2e-4, "warmup_steps": 3, "total_steps": 10, "lrs": sched}

pattern = [True, True, False, True, True, True, True, False, False, True, True, True]
p = torch.nn.Parameter(torch.zeros(2))
o = torch.optim.SGD([p], lr=0.0)
scaler = torch.amp.GradScaler("cpu", init_scale=1024.0, growth_factor=2.0, backoff_factor=0.5, growth_interval=3)
scales = []
for finite in pattern:
    scaler.scale(torch.tensor(1.0))
    p.grad = torch.tensor([1.0, float("inf") if not finite else 2.0])
    scaler.step(o)
    scaler.update()
    scales.append(scaler.get_scale())
out["scaler"] = {"init": 1024.0, "growth": 2.0, "backoff": 0.5, "interval": 3, "finite": pattern, "scales": scales}

with open(sys.argv[1], "w") as f:
    json.dump(out, f, indent=1)
print("wrote", sys.argv[1])
