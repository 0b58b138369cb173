#!/usr/bin/env bash
# The GPU check: builds OnnxKit with ONNX Runtime's CUDA package (-p:OnnxKitGpu=true), trains mlp, cnn,
# resnet-small and transformer-small for one epoch of Fashion-MNIST (batch 128) on CUDA and on the CPU from the
# same weights and batches, asserts the first 50 losses agree within 1e-3 relative, and prints a table:
# samples/s on each device, the GPU memory the run took, the bytes each step sends to the device as inputs, and
# the bytes ORT's copy nodes move inside the graph (non-zero only around nodes left on the CPU).
#
#   bench/gpu/check.sh               on a machine with an NVIDIA GPU, CUDA 13 and cuDNN 9
#   bench/gpu/check.sh --cpu-only    the CPU half only (any machine): build, train on the CPU, table without CUDA
#   STEPS=100 DEVICE=cuda:1 bench/gpu/check.sh   fewer steps per run / another GPU
#
# Dropout's ratio is set to 0 in these runs: ORT's CPU and CUDA kernels draw different masks.
# Exit status: 0 when every model agrees, 1 when one does not, 2 when it cannot run (build, GPU missing).
set -euo pipefail
cd "$(dirname "$0")/../.."

cpu_only=0
[ "${1:-}" = "--cpu-only" ] && cpu_only=1
device=${DEVICE:-cuda}
models=${MODELS:-"mlp cnn resnet-small transformer-small"}
compare=50
tolerance=1e-3
steps_arg=()
[ -n "${STEPS:-}" ] && steps_arg=(--steps "$STEPS")
artifacts=${ARTIFACTS:-artifacts-gpu}   # the GPU flavour's build folder (.ci/run uses the same)
out=$(mktemp -d "${TMPDIR:-/tmp}/onnxkit-gpu-check.XXXXXX")
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if [ "$cpu_only" -eq 0 ]; then
  command -v nvidia-smi >/dev/null 2>&1 || { echo "gpu check: nvidia-smi not found (no NVIDIA driver); run with --cpu-only for the CPU half" >&2; exit 2; }
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2 || { echo "gpu check: nvidia-smi sees no GPU" >&2; exit 2; }
fi

# One build of the GPU flavour, in its own folder so the CPU build's outputs stay as they are. Its ONNX Runtime
# also carries the CPU provider, so the CPU half runs the same binary.
echo "building the GPU flavour (-p:OnnxKitGpu=true) ..." >&2
dotnet build bench/OnnxKit.Bench -c Release -p:OnnxKitGpu=true --artifacts-path "$artifacts" >"$out/build.log" 2>&1 \
  || { tail -20 "$out/build.log" >&2; echo "gpu check: the GPU-flavour build failed" >&2; exit 2; }
bench=$artifacts/bin/OnnxKit.Bench/release/OnnxKit.Bench.dll
[ -f "$bench" ] || { echo "gpu check: $bench was not built" >&2; exit 2; }

# Value of key=value in a result line.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# Peak GPU memory used during a command, in MiB above what was used before it (sampled every 200 ms).
with_gpu_memory() {
  local gpu=${device#cuda}; gpu=${gpu#:}; gpu=${gpu:-0}
  local base; base=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i "$gpu")
  ( while :; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i "$gpu"; sleep 0.2; done ) >"$out/mem.txt" 2>/dev/null &
  local sampler=$!
  local status=0
  "$@" || status=$?
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
  local peak; peak=$(sort -n "$out/mem.txt" | tail -1)
  gpu_mib=$(( ${peak:-$base} - base ))
  return $status
}

# Compares the first $compare losses of two files; prints the largest relative difference, fails above $tolerance.
agree() {
  paste -d' ' <(head -n "$compare" "$1") <(head -n "$compare" "$2") | awk -v tol="$tolerance" '
    { d = $1 - $2; if (d < 0) d = -d; m = ($1 < 0 ? -$1 : $1); n = ($2 < 0 ? -$2 : $2); if (n > m) m = n;
      r = (m > 0 ? d / m : 0); if (r > worst) worst = r; if (r > tol) bad++ ; count++ }
    END { printf "%.2e", worst; exit (bad > 0 || count == 0) }'
}

rows=()
failed=0
for m in $models; do
  echo "training $m on cpu ..." >&2
  cpu_line=$(dotnet "$bench" gpu-check --model "$m" --device cpu "${steps_arg[@]}" --losses "$out/$m-cpu.txt" --profile "$out/profile") \
    || { echo "gpu check: $m on cpu failed" >&2; exit 2; }
  cpu_sps=$(field samples_per_s "$cpu_line")
  if [ "$cpu_only" -eq 1 ]; then
    rows+=("$(printf '%-18s %10s %10s %8s %10s %10s %10s %6s %s' "$m" "$cpu_sps" "-" "-" "-" "$(field feed_bytes_per_step "$cpu_line")" "-" "-" "unmeasured (CPU only)")")
    continue
  fi
  echo "training $m on $device ..." >&2
  gpu_mib=0
  # Not in $( ): with_gpu_memory sets gpu_mib in this shell.
  with_gpu_memory dotnet "$bench" gpu-check --model "$m" --device "$device" "${steps_arg[@]}" --losses "$out/$m-cuda.txt" --profile "$out/profile" >"$out/$m-cuda.line" \
    || { echo "gpu check: $m on $device failed" >&2; exit 2; }
  gpu_line=$(cat "$out/$m-cuda.line")
  if worst=$(agree "$out/$m-cpu.txt" "$out/$m-cuda.txt"); then verdict="ok (max rel diff $worst)"; else verdict="DIFFER (max rel diff $worst)"; failed=1; fi
  cuda_sps=$(field samples_per_s "$gpu_line")
  ratio=$(awk -v a="$cuda_sps" -v b="$cpu_sps" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }')
  rows+=("$(printf '%-18s %10s %10s %8s %10s %10s %10s %6s %s' "$m" "$cpu_sps" "$cuda_sps" "$ratio" "$gpu_mib" \
    "$(field feed_bytes_per_step "$gpu_line")" "$(( $(field graph_h2d_bytes_per_step "$gpu_line") + $(field graph_d2h_bytes_per_step "$gpu_line") ))" \
    "$(field cpu_nodes "$gpu_line")" "$verdict")")
done

echo
printf '%-18s %10s %10s %8s %10s %10s %10s %6s %s\n' model "cpu smp/s" "cuda smp/s" ratio "GPU MiB" "feed B/st" "copy B/st" "cpu nd" "first $compare losses"
for r in "${rows[@]}"; do echo "$r"; done
echo "(feed B/st: batch + step scalars sent to the device per step; copy B/st: bytes ORT's Memcpy nodes move per step, from its profile;"
echo " cpu nd: nodes the CPU provider ran in the CUDA session. Profiles and losses: $out)"
exit $failed
