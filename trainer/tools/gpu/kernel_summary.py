"""GPU kernel time of one training step from a Kineto trace, by kernel and by the ATen op that launched it.

  python3 trainer/tools/gpu/kernel_summary.py TRACE.json[.gz] [TOP]

TRACE: what `bench --count-ops` writes with -Dfinetune.profile.cuda=true -Dfinetune.opTrace=TRACE.json when DJL's
JNI library records kernels (built with djl-kineto-profile.patch applied), or a torch.profiler trace of the
reference (ref_profile.py). Prints the span, the busy time, and the TOP (default 30) op/kernel pairs by time.
"""
import collections, gzip, json, sys

path = sys.argv[1]
top = int(sys.argv[2]) if len(sys.argv) > 2 else 30
trace = json.load(gzip.open(path) if path.endswith(".gz") else open(path))
events = trace["traceEvents"] if isinstance(trace, dict) else trace
ops = {}
for e in events:
    if e.get("ph") == "X" and e.get("cat") == "cpu_op" and "External id" in e.get("args", {}):
        ops.setdefault(e["args"]["External id"], e["name"])
kernels = [e for e in events if e.get("ph") == "X" and e.get("cat") == "kernel"]
if not kernels:
    sys.exit(f"{path}: no kernel events (was the trace recorded with CUDA activities?)")
start = min(e["ts"] for e in kernels)
end = max(e["ts"] + e["dur"] for e in kernels)
busy = sum(e["dur"] for e in kernels)
print(f"kernels {len(kernels)}, span {(end - start) / 1e3:.1f} ms, busy {busy / 1e3:.1f} ms")
by = collections.defaultdict(lambda: [0, 0.0])
for e in kernels:
    key = (ops.get(e.get("args", {}).get("External id"), "?"), e["name"][:90])
    by[key][0] += 1
    by[key][1] += e["dur"]
for (op, name), (n, us) in sorted(by.items(), key=lambda kv: -kv[1][1])[:top]:
    print(f"{us / 1e3:9.2f} ms {n:6d}  {op[:40]:40s} {name}")
