"""A torch.profiler trace of one reference step (gpu_check.py's ref_step, as ref-bench times it) on LAYERS layers,
for kernel_summary.py:  python3 trainer/tools/gpu/ref_profile.py SHAPE SEQ MB LAYERS OUT.json"""
import sys
import torch
from torch.profiler import profile, ProfilerActivity
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from gpu_check import ref_step

shape, seq, mb, layers, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
step, _ = ref_step(shape, seq, mb, layers)
for _ in range(3):
    step()
torch.cuda.synchronize()
with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
    step()
    torch.cuda.synchronize()
prof.export_chrome_trace(out)
