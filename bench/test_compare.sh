#!/usr/bin/env bash
# Checks of bench/compare.sh with a stub in place of `flywheel bench` and a tiny real PyTorch run.
# A developer tool (CI has no PyTorch): bash bench/test_compare.sh   -> ends with "N passed, N failed".
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { # name, then a command that must succeed
  local name="$1"; shift
  if "$@"; then passed=$((passed + 1)); echo "ok   $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}

# The stub follows the contract: flags as `flywheel bench` takes them, chatter first, one JSON line last.
cat >"$tmp/flywheel" <<'EOF'
#!/usr/bin/env bash
[ "${1:-}" = --version ] && { echo "flywheel stub"; exit 0; }
[ "${1:-}" = bench ] || exit 64
shift
declare -A a
while [ $# -gt 0 ]; do case "$1" in --json) shift ;; --*) a[${1#--}]="$2"; shift 2 ;; *) exit 64 ;; esac; done
for k in layers heads dim seq batch vocab steps warmup threads; do [ -n "${a[$k]:-}" ] || { echo "missing --$k" >&2; exit 64; }; done
echo "warming up ${a[warmup]} steps ..."
tps=$(( ${a[batch]} * ${a[seq]} * 10 ))
echo "{\"ms_per_step\": 100.0, \"tokens_per_s\": $tps, \"params\": 1234, \"threads\": ${a[threads]}}"
EOF
chmod +x "$tmp/flywheel"
cat >"$tmp/flywheel-bad" <<'EOF'
#!/usr/bin/env bash
[ "${1:-}" = --version ] && exit 0
echo "no json here"
EOF
chmod +x "$tmp/flywheel-bad"

out="$(FLYWHEEL_CMD="$tmp/flywheel" bash "$here/compare.sh" --flywheel-only -r 2 --retry-busy 0 --raw "$tmp/raw.jsonl" \
  2/2/32/16/3/11 1/1/8/4/2/7 2>"$tmp/err")"
status=$?
check "stub run exits 0" test "$status" = 0
check "table header" grep -q '^| shape L/H/C/T/B/V | steps | Flywheel tok/s (median) | PyTorch tok/s (median) |' <<<"$out"
check "median from the stub (3*16*10=480)" grep -Eq '^\| 2/2/32/16/3/11 \| [0-9]+ \| 480\*? \| — \| — \| [0-9]+ MiB \| — \|$' <<<"$out"
check "second shape" grep -Eq '^\| 1/1/8/4/2/7 \| [0-9]+ \| 80\*? \| — \|' <<<"$out"
check "raw has 4 runs" test "$(wc -l <"$tmp/raw.jsonl")" = 4
check "raw has rss and shape" grep -q '"bench_shape": "1/1/8/4/2/7".*"peak_rss_kb": [0-9]' "$tmp/raw.jsonl"

out="$(FLYWHEEL_CMD="$tmp/flywheel" bash "$here/compare.sh" --flywheel-only --dry-run --steps 4 --warmup 1 4/4/128/64/12/65 2>&1)"
check "dry run prints the exact command" grep -q "flywheel bench --layers 4 --heads 4 --dim 128 --seq 64 --batch 12 --vocab 65 --steps 4 --warmup 1 --threads 2 --json" <<<"$out"

err="$(FLYWHEEL_CMD="$tmp/flywheel-bad" bash "$here/compare.sh" --flywheel-only -r 1 1/1/8/4/2/7 2>&1 >/dev/null)"
check "non-JSON output is refused" test $? != 0
check "  ... in one sentence" grep -q "flywheel's last output line on shape 1/1/8/4/2/7 is not the expected JSON" <<<"$err"

err="$(bash "$here/compare.sh" 1/2/3 2>&1)"; s=$?
check "bad shape refused" test "$s" = 2 -a "$err" = "compare.sh: shape '1/2/3' is not L/H/C/T/B/V (e.g. 4/4/128/64/12/65)."

# PyTorch refusals: a Python without torch, and torch on the reference BLAS.
nopy="$tmp/python-without-torch"
cat >"$nopy" <<'EOF'
#!/bin/sh
# /usr/bin/python3 with Debian's packages hidden, so `import torch` fails
exec /usr/bin/python3 -I -S "$@"
EOF
chmod +x "$nopy"
err="$(TORCH_PYTHON="$nopy" FLYWHEEL_CMD="$tmp/flywheel" bash "$here/compare.sh" -r 1 1/1/8/4/2/7 2>&1 >/dev/null)"; s=$?
check "no torch: refused" test "$s" = 2
check "  ... in one sentence" grep -qx "compare.sh: $nopy cannot import torch; install it with apt-get install python3-torch libopenblas0-openmp." <<<"$err"

if [ -f /usr/lib/x86_64-linux-gnu/blas/libblas.so.3 ]; then # the reference BLAS (libblas3) is installed
  err="$(LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/blas:/usr/lib/x86_64-linux-gnu/lapack FLYWHEEL_CMD="$tmp/flywheel" \
    bash "$here/compare.sh" -r 1 1/1/8/4/2/7 2>&1 >/dev/null)"; s=$?
  check "reference BLAS: refused" test "$s" = 2
  check "  ... in one sentence" grep -Eqx "compare.sh: torch under /usr/bin/python3 does its sgemm in /usr/lib/x86_64-linux-gnu/blas/libblas.so[.0-9]*, not OpenBLAS, which would make the comparison unfair; install it with apt-get install libopenblas0-openmp." <<<"$err"
else
  echo "skip reference-BLAS refusal (apt-get install libblas3 to run it)"
fi

# Both halves for real on a tiny shape: PyTorch through torch_gpt_bench.py, Flywheel through the stub.
out="$(FLYWHEEL_CMD="$tmp/flywheel" bash "$here/compare.sh" -r 1 --retry-busy 0 --steps 3 --warmup 1 2/2/32/16/4/11 2>"$tmp/err")"; s=$?
check "tiny real PyTorch run exits 0" test "$s" = 0
check "  ... has both columns and a ratio" grep -Eq '^\| 2/2/32/16/4/11 \| 3 \| 640\*? \| [0-9]+\*? \| [0-9.]+x \| [0-9]+ MiB \| [0-9]+ MiB \|$' <<<"$out"
check "  ... ran torch_gpt_bench.py" grep -q "torch_gpt_bench.py --layers 2 --heads 2 --dim 32 --seq 16 --batch 4 --vocab 11 --steps 3 --warmup 1 --threads 2" "$tmp/err"
[ "$failed" = 0 ] || { echo "--- last output:"; echo "$out"; cat "$tmp/err"; }

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
