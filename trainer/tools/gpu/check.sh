#!/usr/bin/env bash
# The Java trainer on a GPU machine, beside the Python reference (torch + transformers + peft) in the same call.
#
#   trainer/tools/gpu/check.sh OUT SHARDS [section ...]
#
# OUT: a scratch folder (results land in OUT/results.md and OUT/*.json); SHARDS: token shards made by
# `jobs/finetune prepare` with the Qwen3 tokenizer (the demo's data folder will do: demo-output/demo/data).
# FT names the CLI (default jobs/finetune). Sections (default: all but bench):
#   device    which device `auto` picks and why
#   commands  train on the GPU (checkpoints, eval, final adapter), generate with the KV cache (greedy ids equal
#             transformers + peft on the GPU in FP32), chat, merge (merged logits equal base + adapter in peft)
#   resume    kill -9 mid-run, rerun: final adapter equals an uninterrupted run's (FP32)
#   ranks     train --world-size 2 on one GPU (two rank processes on gpu0) equals 1 rank with twice the batch (FP32,
#             no LoRA dropout: dropout masks are drawn per rank)
#   curves    200 steps in FP16 track the FP32 run's loss curve
#   tests     the reference-checking JUnit tests (logits, one and three AdamW steps, KV cache, attention kernels,
#             NF4, FP16) run on the GPU: JUNIT_JAR (junit-platform-console-standalone), TEST_CP (the trainer's
#             test classes), RUNTIME_CP (the distribution's jars), FIXTURES (the reference fixtures), JAVA, JAVA_OPTS
#   allreduce the all-reduce of a Qwen2-7B r=16 adapter's gradients (161 MB) between 2 rank processes on loopback,
#             FP32 and --fp16-wire (JAVA, JAVA_OPTS, RUNTIME_CP as for tests)
#   bench     the throughput table: bench beside the reference, same shapes (BENCH_ROWS, default the five rows below)
set -uo pipefail
OUTDIR="$1"; SHARDS="$2"; shift 2
SECTIONS="${*:-device commands resume ranks curves}"
FT="${FT:-jobs/finetune}"
PY="python3 $(dirname "$0")/gpu_check.py"
TOK="${TOK:-app/src/demo/tokenizer}"
mkdir -p "$OUTDIR"; RES="$OUTDIR/results.md"; : > "$RES"
MODEL="${MODEL:-$OUTDIR/model}"; DEV="${DEV:-gpu0}"; FAILS=0
say() { echo "$*" | tee -a "$RES"; }
check() { local name="$1"; shift; if "$@" >> "$OUTDIR/check.log" 2>&1; then say "- ok: $name"; else say "- FAILED: $name (see check.log)"; FAILS=$((FAILS+1)); fi; }
common=(--base-model-id "$MODEL" --shards-dir "$SHARDS" --use-4bit false --lora-r 8 --lora-alpha 16
        --lora-target-modules all-linear --batch-size 2 --gradient-accumulation-steps 1 --learning-rate 1e-3
        --warmup-steps 2 --logging-steps 1 --seed 7 --attn-implementation sdpa)
has() { [[ " $SECTIONS " == *" $1 "* ]]; }

[[ -f "$MODEL/config.json" ]] || $PY make-model "$MODEL" "$TOK" >> "$OUTDIR/check.log" 2>&1

if has device; then
  say "## device"
  $FT train "${common[@]}" --base-save-dir "$OUTDIR/runs" --project-name device --max-steps 1 --save-steps 100 \
      --device auto > "$OUTDIR/device.log" 2>&1
  say "$(grep -m1 '^device ' "$OUTDIR/device.log" || echo 'no device line')"
fi

if has tests; then
  say "## reference tests on $DEV"
  classes=(model.ReferenceLogitsTest model.TrainingStepTest train.ReferenceStepsTest generate.GeneratorTest
           model.AttentionKernelTest model.HalfPrecisionTest nf4.Nf4ModelLogitsTest)
  cp=""; IFS=: read -ra parts <<< "$TEST_CP:$RUNTIME_CP"   # the console launcher does not expand dir/* itself
  for e in "${parts[@]}"; do if [[ "$e" == */\* ]]; then for j in "${e%/\*}"/*.jar; do cp="$cp:$j"; done; else cp="$cp:$e"; fi; done
  sel=(); for c in "${classes[@]}"; do sel+=(--select-class "dev.finetune.trainer.$c"); done
  # shellcheck disable=SC2086
  ${JAVA:-java} ${JAVA_OPTS:-} -Dfinetune.test.device="$DEV" -Dfixtures.dir="$FIXTURES" -jar "$JUNIT_JAR" execute \
      -cp "${cp#:}" "${sel[@]}" --details=tree --disable-banner > "$OUTDIR/tests.log" 2>&1
  rc=$?
  grep -E "tests (successful|failed)|✘|MethodSource|Exception|expected" "$OUTDIR/tests.log" | head -40 | tee -a "$RES"
  if [[ $rc -eq 0 ]]; then say "- ok: reference tests on $DEV"; else say "- FAILED: reference tests on $DEV"; FAILS=$((FAILS+1)); fi
fi

if has allreduce; then
  say "## all-reduce of a qwen2-7b r=16 adapter (161 MB FP32), 2 ranks on loopback"
  for wire in "" --fp16-wire; do
    # shellcheck disable=SC2086
    ${JAVA:-java} ${JAVA_OPTS:-} -cp "$RUNTIME_CP" dev.finetune.trainer.collective.AllReduceBenchmark --launch-local 2 \
        --iterations 5 $wire > "$OUTDIR/allreduce$wire.log" 2>&1
    say "  ${wire:-fp32 wire}: $(grep -v '^\s*$' "$OUTDIR/allreduce$wire.log" | tail -3 | tr '\n' ' ')"
  done
fi

if has commands; then
  say "## commands on the GPU"
  R="$OUTDIR/runs"
  check "train (FP16, checkpoints every 10, eval every 10) writes final/" \
    $FT train "${common[@]}" --base-save-dir "$R" --project-name cmd --max-steps 30 --save-steps 10 --eval-steps 10 --device "$DEV"
  cp "$OUTDIR/check.log" "$OUTDIR/train-cmd.log" 2>/dev/null
  check "final adapter files" test -s "$R/cmd/final/adapter_model.safetensors" -a -s "$R/cmd/final/adapter_config.json"
  check "an eval line" grep -q '"kind":"eval"' "$R"/cmd/logs/metrics-*.jsonl
  IDS=151644,872,198,100644,99808,99164
  $FT generate --model "$MODEL" --adapter "$R/cmd/final" --prompt-ids $IDS --max-new-tokens 12 --greedy --print-ids \
      --device "$DEV" --use-4bit false --compute-dtype fp32 > "$OUTDIR/generate.log" 2>&1
  OURS=$(grep -m1 '^ids: ' "$OUTDIR/generate.log" | sed 's/^ids: //')
  REF=$($PY peft-generate "$MODEL" "$R/cmd/final" $IDS 12 2>>"$OUTDIR/check.log" | tr -d '[] ')
  say "  ours: $OURS"; say "  peft: $REF"
  check "greedy generation on the GPU (KV cache) equals transformers + peft" test -n "$OURS" -a "$OURS" = "$REF"
  check "chat answers on the GPU" bash -c "printf 'hello\n/exit\n' | $FT chat --base-model-id '$MODEL' --adapter '$R/cmd/final' --device "$DEV" --use-4bit false --max-new-tokens 8 > '$OUTDIR/chat.log' 2>&1 && grep -qi 'device $DEV' '$OUTDIR/chat.log'"
  check "merge writes a model" $FT merge --model "$MODEL" --adapter "$R/cmd/final" --output "$OUTDIR/merged" --dtype fp32
  check "merged model's logits equal base + adapter in peft" $PY merged-logits "$MODEL" "$R/cmd/final" "$OUTDIR/merged"
fi

if has resume; then
  say "## kill -9 and resume (FP32)"
  R="$OUTDIR/runs"
  run() { $FT train "${common[@]}" --base-save-dir "$R" --project-name "$1" --max-steps 40 --save-steps 10 --eval-steps 1000 --compute-dtype fp32 --device "$DEV"; }
  run whole > "$OUTDIR/whole.log" 2>&1
  run killed > "$OUTDIR/killed-1.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do [[ -d "$R/killed/checkpoints/checkpoint-20" ]] && break; sleep 0.2; done
  pkill -9 -f "project-name killed" ; wait $pid 2>/dev/null
  say "  killed after: $(ls "$R/killed/checkpoints" 2>/dev/null | tr '\n' ' ')"
  run killed > "$OUTDIR/killed-2.log" 2>&1
  say "  resumed: $(grep -m1 -i 'resum' "$OUTDIR/killed-2.log")"
  check "resumed final adapter equals the uninterrupted run's (1e-4)" $PY same-adapter "$R/whole/final" "$R/killed/final" 1e-4
fi

if has ranks; then
  say "## 2 ranks on one GPU == 1 rank with twice the batch (FP32)"
  R="$OUTDIR/runs"
  base=("${common[@]}" --lora-dropout 0.0 --base-save-dir "$R" --max-steps 10 --save-steps 100 --eval-steps 1000 --compute-dtype fp32)
  check "1 rank, batch 4" $FT train "${base[@]}" --project-name one --batch-size 4 --device "$DEV"
  check "2 ranks on gpu0, batch 2 each" $FT train "${base[@]}" --project-name two --batch-size 2 --world-size 2 --local-gpus 0,0 --device "$DEV"
  check "2-rank adapter equals the 1-rank adapter (1e-4)" $PY same-adapter "$R/one/final" "$R/two/final" 1e-4
fi

if has curves; then
  say "## FP16 loss curve against FP32 (200 steps)"
  R="$OUTDIR/runs"
  for dt in fp32 fp16; do
    $FT train "${common[@]}" --base-save-dir "$R" --project-name "curve-$dt" --max-steps 200 --save-steps 1000 \
        --eval-steps 1000 --num-train-epochs 100 --compute-dtype $dt --device "$DEV" > "$OUTDIR/curve-$dt.log" 2>&1
  done
  check "FP16 curve tracks FP32 (mean relative difference of the last 10 losses <= 2 %)" \
    $PY curves "$R/curve-fp32/logs/metrics-*.jsonl" "$R/curve-fp16/logs/metrics-*.jsonl"
  tail -1 "$OUTDIR/check.log" | tee -a "$RES"
fi

if has bench; then
  say "## throughput: ours (bench: NF4, LoRA r=16 all-linear, FP16, SDPA) beside transformers + peft (bf16 LoRA, SDPA, gradient checkpointing)"
  say "GPU: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1); memory: the GPU's peak memory.used (nvidia-smi every 100 ms)"
  ROWS="${BENCH_ROWS:-qwen2-7b:2:2048 llama3-8b:2:2048 qwen2-7b:1:8192 qwen2.5-0.5b:4:1024 qwen2-7b:4:2048}"
  : > "$OUTDIR/bench.jsonl"
  sample() { nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 -lms 100 > "$1" 2>/dev/null & echo $!; }
  for row in $ROWS; do
    IFS=: read -r shape mb seq <<< "$row"
    s=$(sample "$OUTDIR/mem-ours.txt")
    ours=$($FT bench --shape "$shape" --seq "$seq" --micro-batch "$mb" --steps "${BENCH_STEPS:-8}" --lora-r 16 \
           --targets all-linear --quant nf4 --device "$DEV" ${BENCH_FLAGS:-} 2>>"$OUTDIR/check.log" | grep '^{' | tail -1)
    kill "$s"; om=$($PY peak-mib "$OUTDIR/mem-ours.txt")
    s=$(sample "$OUTDIR/mem-ref.txt")
    ref=$($PY ref-bench "$shape" "$seq" "$mb" "${BENCH_STEPS:-8}" 2>>"$OUTDIR/check.log" | grep '^{' | tail -1)
    kill "$s"; rm_=$($PY peak-mib "$OUTDIR/mem-ref.txt")
    echo "ours $row: $ours" >> "$OUTDIR/check.log"; echo "ref $row: $ref" >> "$OUTDIR/check.log"
    [[ -n "$ours" && -n "$ref" ]] && python3 -c "import json,sys; print(json.dumps(dict(shape='$shape', mb=$mb, seq=$seq, ours=json.loads(sys.argv[1]), ref=json.loads(sys.argv[2]), ours_gib=$om/1024, ref_gib=$rm_/1024)))" "$ours" "$ref" >> "$OUTDIR/bench.jsonl"
  done
  $PY table "$OUTDIR/bench.jsonl" | tee -a "$RES"
fi
say "failed checks: $FAILS"
exit $((FAILS > 0))
