#!/usr/bin/env bash
# Flywheel vs PyTorch: training-step throughput on the same model shapes, the same machine, the same threads.
#
#   bench/compare.sh [options] [L/H/C/T/B/V ...]
#
# For each shape (layers/heads/dim/seq/batch/vocab; default: the four below), runs
#   ./flywheel bench --layers L --heads H --dim C --seq T --batch B --vocab V --steps N --warmup W --threads 2 --json
#   /usr/bin/python3 <shared>/bench/torch_gpt_bench.py --layers L ... --steps N --warmup W --threads 2
# alternately, R times each (engine order swapped every repeat so neither always runs on a warmer machine),
# records tokens/s and peak RSS of every process, and prints a Markdown table of medians.
#
# Options:
#   -r, --repeats R     runs per engine and shape (default 3)
#   --steps N           timed steps per run (default: chosen per shape for ~10 s of work, 3..30)
#   --warmup W          untimed steps per run (default: ~3 s of work, 2 to 100 steps)
#   --threads N         threads for both engines (default 2)
#   --flywheel-only     skip PyTorch (no torch needed)
#   --torch-only        skip Flywheel
#   --torch-malloc M    allocator under PyTorch: tcmalloc (default when libtcmalloc-minimal4 is installed),
#                       jemalloc, glibc, or a library path (LD_PRELOAD); see "Allocator" below
#   --wait-idle S       before each run, wait up to S seconds for the CPU to be idle (default 0: don't wait)
#   --retry-busy N      run a run again, up to N times, when other processes competed with it (default 2)
#   --raw FILE          also append every run as one JSON object per line to FILE
#   --dry-run           print the commands instead of running them
#   -h, --help
# Environment:
#   FLYWHEEL_CMD        the Flywheel command (default: <repo>/flywheel); point it at a stub to test this script
#   TORCH_PYTHON        the Python that has Debian's torch (default /usr/bin/python3)
#   FLYWHEEL_SHARED     the shared folder holding bench/torch_gpt_bench.py (default: <repo>/../shared)
#
# Contention: every run also records how much CPU other processes used meanwhile, as a share of all the
# machine's CPU time over the run (/proc/stat less the run's own user+system time); a run above 10% is flagged
# "busy" in the log and gets a '*' in the table, since another process was competing with the benchmark.
#
# Allocator: PyTorch allocates fresh memory for most tensors of every step, and glibc hands blocks over 32 MB
# back to the kernel at once, so every step page-faults its activations in again. Where page faults are dear
# (a virtual machine, as here) that alone can make PyTorch several times slower; the engine allocates nothing
# in a step. PyTorch runs with tcmalloc (apt-get install libtcmalloc-minimal4), which keeps freed memory, so
# that it is measured at its best; --torch-malloc glibc measures it as it comes.
#
# The Flywheel contract: the last stdout line of `flywheel bench ... --json` is one JSON object with at least
# ms_per_step, tokens_per_s, params and threads.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
shared="${FLYWHEEL_SHARED:-$(dirname "$root")/shared}"
torch_python="${TORCH_PYTHON:-/usr/bin/python3}"
flywheel_cmd="${FLYWHEEL_CMD:-$root/flywheel}"
torch_bench="$shared/bench/torch_gpt_bench.py"
json_python="$(command -v python3 || echo "$torch_python")"

default_shapes=(4/4/128/64/12/65 6/6/384/256/8/65 6/6/384/256/64/65 12/12/768/64/4/50304)
repeats=3 steps="" warmup="" threads=2 run_flywheel=1 run_torch=1 raw="" dry=0 wait_idle=0 torch_malloc="" retry_busy=2
shapes=()

die() { echo "compare.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    -r|--repeats) repeats="${2:?}"; shift 2 ;;
    --steps) steps="${2:?}"; shift 2 ;;
    --warmup) warmup="${2:?}"; shift 2 ;;
    --threads) threads="${2:?}"; shift 2 ;;
    --flywheel-only) run_torch=0; shift ;;
    --torch-only) run_flywheel=0; shift ;;
    --raw) raw="${2:?}"; shift 2 ;;
    --torch-malloc) torch_malloc="${2:?}"; shift 2 ;;
    --wait-idle) wait_idle="${2:?}"; shift 2 ;;
    --retry-busy) retry_busy="${2:?}"; shift 2 ;;
    --dry-run) dry=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1; see --help." ;;
    *) shapes+=("$1"); shift ;;
  esac
done
[ ${#shapes[@]} -gt 0 ] || shapes=("${default_shapes[@]}")
[ "$run_flywheel$run_torch" != 00 ] || die "--flywheel-only and --torch-only together leave nothing to run."
for n in "$repeats" "$threads" ${steps:+"$steps"}; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "repeats, threads and steps must be positive integers, not '$n'."
done
[ -z "$warmup" ] || [[ "$warmup" =~ ^[0-9]+$ ]] || die "--warmup must be a non-negative integer, not '$warmup'."
[[ "$wait_idle" =~ ^[0-9]+$ ]] || die "--wait-idle must be a number of seconds, not '$wait_idle'."
[[ "$retry_busy" =~ ^[0-9]+$ ]] || die "--retry-busy must be a non-negative integer, not '$retry_busy'."
libdir=/usr/lib/x86_64-linux-gnu
case "${torch_malloc:-default}" in
  default) torch_preload=""; torch_malloc=glibc
           [ -f "$libdir/libtcmalloc_minimal.so.4" ] && torch_preload="$libdir/libtcmalloc_minimal.so.4" torch_malloc=tcmalloc ;;
  glibc) torch_preload="" ;;
  tcmalloc) torch_preload="$libdir/libtcmalloc_minimal.so.4" ;;
  jemalloc) torch_preload="$libdir/libjemalloc.so.2" ;;
  *) torch_preload="$torch_malloc" ;;
esac
[ -z "$torch_preload" ] || [ -f "$torch_preload" ] \
  || die "--torch-malloc $torch_malloc: $torch_preload does not exist; install libtcmalloc-minimal4 (or libjemalloc2) or use --torch-malloc glibc."
for s in "${shapes[@]}"; do
  [[ "$s" =~ ^[1-9][0-9]*(/[1-9][0-9]*){5}$ ]] || die "shape '$s' is not L/H/C/T/B/V (e.g. 4/4/128/64/12/65)."
done

# ------------------------------------------------------------------------------------------- preflight
if [ "$dry" = 0 ]; then
  if [ "$run_torch" = 1 ]; then
    [ -f "$torch_bench" ] || die "$torch_bench does not exist; set FLYWHEEL_SHARED to the shared folder."
    "$torch_python" -c 'import torch' >/dev/null 2>&1 \
      || die "$torch_python cannot import torch; install it with apt-get install python3-torch libopenblas0-openmp."
    # Debian's torch calls the generic libblas.so.3: without OpenBLAS that is the reference BLAS, ~15x slower.
    sgemm_lib="$("$torch_python" -c 'import sys; sys.path.insert(0, sys.argv[1]); import blas_probe
print(blas_probe.sgemm_library("torch") or "an unknown library")' "$here" 2>/dev/null || echo "an unknown library")"
    case "${sgemm_lib,,}" in
      *openblas*) ;;
      *) die "torch under $torch_python does its sgemm in $sgemm_lib, not OpenBLAS, which would make the comparison unfair; install it with apt-get install libopenblas0-openmp." ;;
    esac
  fi
  if [ "$run_flywheel" = 1 ]; then
    # Builds the application if needed, so that no build lands inside a timed run or its RSS.
    "$flywheel_cmd" --version >/dev/null 2>&1 || "$flywheel_cmd" --help >/dev/null 2>&1 \
      || die "$flywheel_cmd does not start; build it (./mvnw package) or set FLYWHEEL_CMD."
  fi
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Default steps/warmup: ~10 s of work per run at an assumed 100 GFLOP/s, from 6*params*tokens + attention.
plan() { # L H C T B V -> "steps warmup"
  awk -v L="$1" -v C="$3" -v T="$4" -v B="$5" -v V="$6" -v S="$steps" -v W="$warmup" 'BEGIN {
    params = 12 * L * C * C + V * C
    flops = 6 * params * B * T + 12 * L * B * T * T * C
    s = int(1e12 / flops + 0.5); if (s < 3) s = 3; if (s > 300) s = 300
    if (S != "") s = S
    # warm-up: ~3 s of work, so that both are measured warm (the JVM compiles its kernels in the first
    # seconds; PyTorch allocates in its first steps), at least 2 steps, at most 100
    w = int(3e11 / flops + 0.5); if (w < 2) w = 2; if (w > 100) w = 100
    if (W != "") w = W
    print s, w }'
}

# Runs "$@" with stdout to $tmp/out and stderr to $tmp/err; sets rss_kb to the peak RSS of it and its children
# and busy to the percentage of the machine's CPU time that other processes used meanwhile (empty if unknown).
measure() {
  rss_kb="" busy=""
  local status=0 b0 b1 t0 t1 own
  b0="$(cpu_busy_s)"; t0="$(date +%s.%N)"
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%M %U %S" -o "$tmp/rss" "$@" >"$tmp/out" 2>"$tmp/err" || status=$?
    b1="$(cpu_busy_s)"; t1="$(date +%s.%N)"
    read -r rss_kb own <<<"$(tail -n 1 "$tmp/rss" 2>/dev/null | awk '{ print $1, $2 + $3 }')"
    [ -n "$own" ] && busy="$(awk -v a="$b0" -v b="$b1" -v o="$own" -v t0="$t0" -v t1="$t1" -v n="$ncpu" \
      'BEGIN { x = 100 * (b - a - o) / ((t1 - t0) * n); printf "%.1f", (x < 0 ? 0 : x) }')"
  else # sample VmHWM (the kernel's high-water mark) until the process ends; misses only the last interval
    "$@" >"$tmp/out" 2>"$tmp/err" &
    local pid=$! hwm
    rss_kb=0
    while kill -0 "$pid" 2>/dev/null; do
      hwm="$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)"
      [ -n "$hwm" ] && [ "$hwm" -gt "$rss_kb" ] && rss_kb="$hwm"
      sleep 0.2
    done
    wait "$pid" || status=$?
  fi
  [[ "$rss_kb" =~ ^[0-9]+$ ]] || rss_kb=""
  return $status
}

# The last stdout line as JSON -> "tokens_per_s ms_per_step", or fails.
parse_last_json() {
  tail -n 1 "$tmp/out" | "$json_python" -c '
import json, sys
try:
    o = json.loads(sys.stdin.read())
    print(float(o["tokens_per_s"]), float(o["ms_per_step"]))
except Exception as e:
    sys.exit(f"{type(e).__name__}: {e}")'
}

# CPU seconds the whole machine has spent busy since boot (user, nice, system, irq, softirq, steal).
cpu_busy_s() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / { printf "%.2f\n", ($2 + $3 + $4 + $7 + $8 + $9) / hz }' /proc/stat; }
ncpu="$(getconf _NPROCESSORS_ONLN)"
# Waits (up to --wait-idle seconds) until other processes have used under 5% of the CPU over 5 seconds.
wait_for_idle() {
  [ "$wait_idle" -gt 0 ] || return 0
  local waited=0 b0 b1
  while b0="$(cpu_busy_s)"; sleep 5; b1="$(cpu_busy_s)"; awk -v a="$b0" -v b="$b1" -v n="$ncpu" 'BEGIN { exit !((b - a) / (5 * n) > 0.05) }'; do
    if [ "$waited" -ge "$wait_idle" ]; then echo "    (the CPU is still busy after ${waited}s; running anyway)" >&2; return 0; fi
    [ "$waited" = 0 ] && echo "    (waiting for the CPU to be idle ...)" >&2
    waited=$((waited + 5))
  done
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maxval() { sort -g | tail -n 1; }
mib() { [ -n "$1" ] && awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }' || echo "—"; }

run_one() { # engine shape steps warmup rep
  local engine="$1" shape="$2" st="$3" wu="$4" rep="$5" L H C T B V
  IFS=/ read -r L H C T B V <<<"$shape"
  local flags=(--layers "$L" --heads "$H" --dim "$C" --seq "$T" --batch "$B" --vocab "$V"
               --steps "$st" --warmup "$wu" --threads "$threads")
  local cmd
  if [ "$engine" = flywheel ]; then cmd=("$flywheel_cmd" bench "${flags[@]}" --json)
  else cmd=(env ${torch_preload:+LD_PRELOAD="$torch_preload"} "$torch_python" "$torch_bench" "${flags[@]}"); fi
  echo "[$engine $shape run $rep/$repeats] ${cmd[*]}" >&2
  [ "$dry" = 1 ] && return 0
  local ok attempt=0
  while :; do
    wait_for_idle
    ok=1
    measure "${cmd[@]}" || ok=0
    if [ "$engine" = flywheel ] && grep -q "flywheel: building" "$tmp/err"; then
      # Someone changed the sources meanwhile and the launcher rebuilt inside this run (and its RSS): run it again.
      echo "    (the launcher rebuilt the application during this run; running it again)" >&2
      ok=1
      measure "${cmd[@]}" || ok=0
    fi
    # A busy run is run again, failed or not: torch_gpt_bench.py's own BLAS check fails when starved of CPU.
    [ -n "$busy" ] && [ "$attempt" -lt "$retry_busy" ] && awk -v b="$busy" 'BEGIN { exit !(b > 10) }' || break
    attempt=$((attempt + 1))
    echo "    (other processes used ${busy}% of the CPU during this run; running it again, $attempt of $retry_busy)" >&2
  done
  if [ "$ok" = 0 ]; then
    tail -n 5 "$tmp/err" >&2
    local other=torch; [ "$engine" = torch ] && other=flywheel
    local why=""; [ -n "$busy" ] && awk -v b="$busy" 'BEGIN { exit !(b > 10) }' \
      && why=" while other processes used ${busy}% of the CPU (try --wait-idle 600)"
    die "$engine failed on shape $shape$why (output above); fix it, or leave it out with --$other-only."
  fi
  local parsed
  if ! parsed="$(parse_last_json 2>"$tmp/perr")"; then
    die "$engine's last output line on shape $shape is not the expected JSON ($(cat "$tmp/perr")): $(tail -n 1 "$tmp/out" | cut -c1-200)"
  fi
  local tps ms flag=""
  read -r tps ms <<<"$parsed"
  if [ -n "$busy" ] && awk -v b="$busy" 'BEGIN { exit !(b > 10) }'; then flag=" busy"; touch "$tmp/$engine.$shape_key.busy"; fi
  echo "    $tps tokens/s, $ms ms/step, peak RSS $(mib "$rss_kb"), other processes' CPU ${busy:-?}%$flag" >&2
  echo "$tps" >>"$tmp/$engine.$shape_key.tps"
  [ -z "$rss_kb" ] || echo "$rss_kb" >>"$tmp/$engine.$shape_key.rss"
  if [ -n "$raw" ]; then
    tail -n 1 "$tmp/out" | "$json_python" -c '
import json, sys
o = json.loads(sys.stdin.read())
o.update(bench_engine=sys.argv[1], bench_shape=sys.argv[2], bench_repeat=int(sys.argv[3]),
         peak_rss_kb=int(sys.argv[4]) if sys.argv[4] else None,
         others_cpu_pct=float(sys.argv[5]) if sys.argv[5] else None, malloc=sys.argv[6])
print(json.dumps(o))' "$engine" "$shape" "$rep" "$rss_kb" "$busy" "$([ "$engine" = torch ] && echo "$torch_malloc" || echo jvm)" >>"$raw"
  fi
}

rows=()
for shape in "${shapes[@]}"; do
  shape_key="${shape//\//_}"
  IFS=/ read -r L H C T B V <<<"$shape"
  read -r st wu <<<"$(plan "$L" "$H" "$C" "$T" "$B" "$V")"
  engines=()
  [ "$run_flywheel" = 1 ] && engines+=(flywheel)
  [ "$run_torch" = 1 ] && engines+=(torch)
  for ((rep = 1; rep <= repeats; rep++)); do
    order=("${engines[@]}")
    if [ $((rep % 2)) = 0 ] && [ ${#engines[@]} = 2 ]; then order=(torch flywheel); fi
    for engine in "${order[@]}"; do run_one "$engine" "$shape" "$st" "$wu" "$rep"; done
  done
  [ "$dry" = 1 ] && continue
  fw="" pt="" fw_rss="" pt_rss="" ratio="—"
  [ -f "$tmp/flywheel.$shape_key.tps" ] && fw="$(median <"$tmp/flywheel.$shape_key.tps")"
  [ -f "$tmp/torch.$shape_key.tps" ] && pt="$(median <"$tmp/torch.$shape_key.tps")"
  [ -f "$tmp/flywheel.$shape_key.rss" ] && fw_rss="$(maxval <"$tmp/flywheel.$shape_key.rss")"
  [ -f "$tmp/torch.$shape_key.rss" ] && pt_rss="$(maxval <"$tmp/torch.$shape_key.rss")"
  [ -n "$fw" ] && [ -n "$pt" ] && ratio="$(awk -v a="$fw" -v b="$pt" 'BEGIN { printf "%.2fx", a / b }')"
  fmt() { [ -n "$1" ] && awk -v x="$1" 'BEGIN { printf "%.0f", x }' || echo "—"; }
  fw_mark="" pt_mark=""
  [ -f "$tmp/flywheel.$shape_key.busy" ] && fw_mark="*"
  [ -f "$tmp/torch.$shape_key.busy" ] && pt_mark="*"
  rows+=("| $shape | $st | $(fmt "$fw")$fw_mark | $(fmt "$pt")$pt_mark | $ratio | $(mib "$fw_rss") | $(mib "$pt_rss") |")
done
[ "$dry" = 1 ] && exit 0

echo
echo "Training step (forward, backward, AdamW), $threads threads, median of $repeats runs each; RSS is the peak over runs."
[ "$run_torch" = 0 ] || echo "PyTorch $("$torch_python" -c 'import torch; print(torch.__version__)' 2>/dev/null) with $torch_malloc malloc."
ls "$tmp"/*.busy >/dev/null 2>&1 && echo "* other processes used over 10% of the CPU during at least one of these runs; rerun with --wait-idle 600."
echo
echo "| shape L/H/C/T/B/V | steps | Flywheel tok/s (median) | PyTorch tok/s (median) | ratio Flywheel/PyTorch | Flywheel RSS | PyTorch RSS |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
