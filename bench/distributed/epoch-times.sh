#!/usr/bin/env bash
# One process × 2 ORT threads against 2 MPI ranks × 1 thread on this host, alternating (A B A B …), one epoch each:
# epoch seconds, and for the ranks the time rank 0 spent in the gradient allreduce and computing (metrics.json).
# Usage: bench/distributed/epoch-times.sh [model] [repetitions]     (after: dotnet build Cli -c Release)
set -euo pipefail
cd "$(dirname "$0")/../.."
model=${1:-mlp}; reps=${2:-2}
cli=Cli/bin/Release/net10.0/onnxkit.dll
root=(); [ "$(id -u)" = 0 ] && root=(--allow-run-as-root)
out=$(mktemp -d)
report() { /usr/bin/python3 -c "import json,sys; m=json.load(open(sys.argv[1])); e=m['epochs'][0]; print(sys.argv[2], m['model'], 'epoch_s', round(e['seconds'],2), 'test_acc', m.get('test_accuracy'), 'allreduce_s', m.get('allreduce_seconds'), 'compute_s', m.get('compute_seconds'))" "$1/metrics.json" "$2"; }
for i in $(seq "$reps"); do
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
  dotnet "$cli" train --model "$model" --epochs 1 --threads 2 --distributed none --plain --out "$out/a$i" >/dev/null
  report "$out/a$i" "1x2"
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
  mpirun -np 2 --oversubscribe "${root[@]}" dotnet "$cli" train --model "$model" --epochs 1 --plain --out "$out/b$i" >/dev/null
  report "$out/b$i" "2x1"
done
rm -rf "$out"
