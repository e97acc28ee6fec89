#!/usr/bin/env bash
# The guard's acceptance figures (issue 7): nanoGPT's CPU Shakespeare configuration with each injected fault,
# guarded and unguarded, against the clean run; doctor's ranking of the injected documents; and a learning-rate
# sweep with and without QK-norm. Prints Markdown tables. Takes about an hour on 2 cores.
#   bash tools/guard_acceptance.sh [OUT_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-/tmp/guard-acceptance}"
data="${FLYWHEEL_SHARED:-$root/../shared}/data/tinyshakespeare/input.txt"
[ -f "$data" ] || { echo "guard_acceptance: $data not found; set FLYWHEEL_SHARED to the shared folder" >&2; exit 2; }
mkdir -p "$out"
fw="$root/flywheel"
nano=(--data "$data" --tokenizer char --split contiguous --layers 4 --heads 4 --dim 128 --seq 64 --batch 12
      --beta2 0.99 --weight-decay 0.1 --grad-clip 1.0 --eval-batches 200
      --sample-tokens 0 --lab "$out/lab")

run() { # name, args...
  local name="$1"; shift
  if [ ! -f "$out/$name.json" ]; then
    "$fw" train "$@" --out "$out/$name" --json > "$out/$name.json.tmp" 2> "$out/$name.log" || true
    mv "$out/$name.json.tmp" "$out/$name.json"
  fi
}
field() { python3 -c "import json,sys; d=json.loads(open('$1').read().strip().splitlines()[-1]); print(d.get('$2'))"; }

run clean "${nano[@]}" --steps 2000 --lr 1e-3 --min-lr 1e-4 --warmup 100
faults=("corrupt-batch@1000:20" "lr-spike@1000:100" "nan@1000")
for f in "${faults[@]}"; do
  tag="${f//[@:]/-}"
  run "guarded-$tag" "${nano[@]}" --steps 2000 --lr 1e-3 --min-lr 1e-4 --warmup 100 --inject "$f" --guard remediate
  run "unguarded-$tag" "${nano[@]}" --steps 2000 --lr 1e-3 --min-lr 1e-4 --warmup 100 --inject "$f" --guard off
done

clean=$(field "$out/clean.json" val_loss)
echo
echo "| fault | guarded val loss | vs clean | unguarded val loss | vs clean | guard actions |"
echo "| --- | --- | --- | --- | --- | --- |"
for f in "${faults[@]}"; do
  tag="${f//[@:]/-}"
  g=$(field "$out/guarded-$tag.json" val_loss); u=$(field "$out/unguarded-$tag.json" val_loss)
  us=$(field "$out/unguarded-$tag.json" status)
  acts=$(python3 - "$out/guarded-$tag/events.jsonl" <<'PY'
import json,sys,collections
c=collections.Counter()
for l in open(sys.argv[1]):
    e=json.loads(l)
    if e['kind']!='inject': c[e['kind']+':'+e['action']]+=1
print(', '.join(f'{k} ×{v}' for k,v in sorted(c.items())))
PY
)
  python3 - "$f" "$g" "$u" "$us" "$clean" "$acts" <<'PY'
import sys
f,g,u,us,c,acts=sys.argv[1:]
def pct(x):
    try: return f"{100*(float(x)/float(c)-1):+.2f}%"
    except: return "—"
uu = f"{float(u):.4f}" if us=="finished" else us
print(f"| {f} | {float(g):.4f} | {pct(g)} | {uu} | {pct(u) if us=='finished' else us} | {acts} |")
PY
done
echo "clean run: val loss $clean"

# doctor on the corrupt-batch run: are the injected documents its top 3?
tag="corrupt-batch-1000-20"
"$fw" doctor "$out/guarded-$tag" --json > "$out/doctor.json" 2> /dev/null
python3 - "$out/guarded-$tag/events.jsonl" "$out/doctor.json" <<'PY'
import json,sys
inj=set()
for l in open(sys.argv[1]):
    e=json.loads(l)
    if e['kind']=='inject': inj|=set(e['measured']['documents'])
d=json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
spikes=[s for s in d['spikes']]
ok=sum(1 for s in spikes if set(s['top_documents'][:3])<=inj)
print(f"\ndoctor: {len(spikes)} spikes; injected documents are the top 3 in {ok} of them; quarantine: {d['quarantine']}")
PY

# learning-rate sweep, with and without QK-norm (guard in detect mode: it reports, it does not interfere)
echo
echo "| lr | QK-norm | val loss | max attention logit | attention-logit warnings | status |"
echo "| --- | --- | --- | --- | --- | --- |"
for lr in 1e-3 3e-3 1e-2 3e-2 1e-1; do
  for qk in no-qk-norm qk-norm; do
    name="sweep-$lr-$qk"
    run "$name" "${nano[@]}" --steps 600 --warmup 50 --lr "$lr" --min-lr "$(python3 -c "print($lr/10)")" --"$qk" --guard detect
    python3 - "$out/$name.json" "$out/$name" "$lr" "$qk" <<'PY'
import json,sys,os
d=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
warns=0
ev=os.path.join(sys.argv[2],'events.jsonl')
if os.path.exists(ev):
    for l in open(ev):
        if json.loads(l)['kind']=='attn-logit-growth': warns+=1
sm=os.path.join(sys.argv[2],'summary.json')
mx=json.load(open(sm)).get('max_attention_logit') if os.path.exists(sm) else None
vl=d.get('val_loss'); vl=f"{vl:.4f}" if isinstance(vl,(int,float)) else vl
mxs=f"{mx:.1f}" if isinstance(mx,(int,float)) else '—'
print(f"| {sys.argv[3]} | {'on' if sys.argv[4]=='qk-norm' else 'off'} | {vl} | {mxs} | {warns} | {d.get('status')} |")
PY
  done
done
