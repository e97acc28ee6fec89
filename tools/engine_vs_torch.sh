#!/usr/bin/env bash
# The same recipe, data and budget trained by the built-in engine and by trainers/torch (PyTorch, CPU), on the same
# seeds, one thread each, interleaved so both see the same machine: validation bits per byte and training
# throughput side by side, with medians (docs/trainer-protocol.md reports a run of it).
#   tools/engine_vs_torch.sh RECIPE.json [SEEDS] [LAB]
set -euo pipefail
recipe=${1:?usage: tools/engine_vs_torch.sh RECIPE.json [SEEDS] [LAB]}
seeds=${2:-3}
lab=${3:-${TMPDIR:-/tmp}/engine-vs-torch}
python=${PYTHON:-/usr/bin/python3}
cd "$(dirname "$0")/.."
mkdir -p "$lab"
"$python" - "$recipe" "$lab/torch-recipe.json" "$python $(pwd)/trainers/torch/train.py" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["trainer"] = {"command": sys.argv[3], "args": {}}
json.dump(r, open(sys.argv[2], "w"), indent=2)
PY
: > "$lab/results.jsonl"
for s in $(seq 1 "$seeds"); do
  for t in engine torch; do
    file=$recipe; [ "$t" = torch ] && file=$lab/torch-recipe.json
    line=$(./flywheel train --recipe "$file" --seed "$s" --threads 1 --sample-tokens 0 --json --lab "$lab" \
      --out "$lab/runs/$t-$s" 2>/dev/null | tail -1)
    echo "{\"trainer\": \"$t\", \"seed\": $s, \"result\": $line}" | tee -a "$lab/results.jsonl"
  done
done
"$python" - "$lab/results.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"{'trainer':8} {'seeds':>5} {'val_bpb (median)':>17} {'val_loss (median)':>18} {'tokens/s (median)':>18} {'params':>8}")
for t in ("engine", "torch"):
    r = [x["result"] for x in rows if x["trainer"] == t and x["result"]["status"] == "finished"]
    if r:
        med = lambda k: statistics.median(x[k] for x in r)
        print(f"{t:8} {len(r):5d} {med('val_bpb'):17.4f} {med('val_loss'):18.4f} {med('tokens_per_s'):18.0f} {r[0]['params']:8d}")
PY
