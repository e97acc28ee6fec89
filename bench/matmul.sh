#!/usr/bin/env bash
# The engine's matmul against OpenBLAS sgemm on the same shapes, same threads: GFLOP/s and the fraction.
#
#   bench/matmul.sh [options]
#
# Shapes: square 512, 1024, 2048 (nn), and every product of the benchmark models' linear layers — for a model
# L/H/C/T/B/V and each linear layer (in -> out) among C->3C (qkv), C->C (proj), C->4C (fc), 4C->C (mlp proj),
# C->V (tied head): the forward pass BT x out x in :nt, the input gradient BT x in x out :nn, the weight gradient
# out x in x BT :tn (MxNxK:layout as in bench/sgemm_reference.py).
# Ours: the JMH benchmark dev.flywheel.engine.MatmulBench (module bench/). OpenBLAS: bench/sgemm_reference.py
# (numpy, Debian's python3-numpy + libopenblas0-openmp), run before and after ours; its better median counts.
#
# Options:
#   --threads N        threads for both (default 2)
#   --models LIST      comma-separated L/H/C/T/B/V (default: the four of bench/compare.sh); "none" for squares only
#   --shapes LIST      comma-separated MxNxK:layout instead of the defaults
#   --quick            shorter JMH runs (2 warm-up, 3 measured iterations of 0.5 s)
#   --no-openblas      skip the reference
#   --same-jvm         instead: both in one JVM, alternating round by round (OpenBLAS's cblas_sgemm called through
#                      the foreign-function API, from Debian's libopenblas0-openmp), so that the machine's drift falls
#                      on both alike; medians of 9 rounds of 0.5 s each (--quick: 5 of 0.3 s)
#   --json FILE        also write the rows as JSON lines to FILE
#   -h, --help
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
threads=2 models="4/4/128/64/12/65,6/6/384/256/8/65,6/6/384/256/64/65,12/12/768/64/4/50304" shapes="" quick=0
openblas=1 json="" same_jvm=0
die() { echo "matmul.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="${2:?}"; shift 2 ;;
    --models) models="${2:?}"; shift 2 ;;
    --shapes) shapes="${2:?}"; shift 2 ;;
    --quick) quick=1; shift ;;
    --no-openblas) openblas=0; shift ;;
    --same-jvm) same_jvm=1; shift ;;
    --json) json="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1; see --help." ;;
  esac
done
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || die "--threads must be a positive integer, not '$threads'."

# ------------------------------------------------------------------------------ the shapes
if [ -z "$shapes" ]; then
  shapes="$(python3 - "$models" <<'EOF'
import sys
out = ["512x512x512:nn", "1024x1024x1024:nn", "2048x2048x2048:nn"]
spec = sys.argv[1]
for m in ([] if spec == "none" else spec.split(",")):
    try:
        L, H, C, T, B, V = (int(x) for x in m.split("/"))
    except ValueError:
        sys.exit(f"matmul.sh: model '{m}' is not L/H/C/T/B/V")
    bt = B * T
    for i, o in ((C, 3 * C), (C, C), (C, 4 * C), (4 * C, C), (C, V)):
        for s in (f"{bt}x{o}x{i}:nt", f"{bt}x{i}x{o}:nn", f"{o}x{i}x{bt}:tn"):
            if s not in out:
                out.append(s)
print(",".join(out))
EOF
)"
fi
for s in ${shapes//,/ }; do
  [[ "$s" =~ ^[1-9][0-9]*x[1-9][0-9]*x[1-9][0-9]*:(nn|nt|tn)$ ]] || die "shape '$s' is not MxNxK:layout (layout nn, nt or tn)."
done

# ------------------------------------------------------------------------------ build
jdk="${JAVA_HOME:-}"
if [ -z "$jdk" ] || [ ! -x "$jdk/bin/java" ]; then
  for c in /usr/lib/jvm/*25*; do [ -x "$c/bin/java" ] && jdk="$c" && break; done
fi
[ -n "$jdk" ] && [ -x "$jdk/bin/java" ] || die "no JDK 25 found; set JAVA_HOME."
classes="$root/bench/target/classes"
if [ ! -f "$classes/META-INF/BenchmarkList" ] \
   || [ -n "$(find "$root/engine/src/main" "$root/bench/src" "$root/bench/pom.xml" -newer "$classes/META-INF/BenchmarkList" -type f -print -quit)" ]; then
  echo "matmul.sh: building the bench module ..." >&2
  (cd "$root" && JAVA_HOME="$jdk" ./mvnw -B -q -pl bench -am package -DskipTests >&2) || die "the build failed (output above)."
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# ------------------------------------------------------------------------------ both in one JVM (--same-jvm)
if [ "$same_jvm" = 1 ]; then
  [ "$openblas" = 1 ] || die "--same-jvm compares against OpenBLAS; it cannot be combined with --no-openblas."
  lib=""
  for c in /usr/lib/*-linux-gnu/openblas-openmp/libopenblas.so.0 /usr/lib/*-linux-gnu/openblas-pthread/libopenblas.so.0; do
    [ -r "$c" ] && lib="$c" && break
  done
  [ -n "$lib" ] || die "--same-jvm needs OpenBLAS's library; install it with: sudo apt-get install libopenblas0-openmp"
  rounds=9 seconds=0.5
  [ "$quick" = 1 ] && rounds=5 seconds=0.3
  echo "matmul.sh: Flywheel and OpenBLAS ($lib) alternately in one JVM, $threads threads ..." >&2
  OMP_WAIT_POLICY=PASSIVE "$jdk/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
    -XX:+UseParallelGC -cp "$classes:$root/bench/target/lib/*" dev.flywheel.engine.SgemmSideBySide \
    "$lib" "$threads" "$rounds" "$seconds" ${shapes//,/ } >"$tmp/side.jsonl" 2>"$tmp/side.log" \
    || { tail -n 30 "$tmp/side.log" >&2; die "the side-by-side run failed (output above)."; }
  openblas=0  # OpenBLAS has been measured above, in the same JVM: no separate reference runs
fi

# ------------------------------------------------------------------------------ OpenBLAS (before)
reference() { # -> appends JSON lines to $1
  local by_layout
  for layout in nn nt tn; do
    by_layout="$(tr ',' '\n' <<<"$shapes" | grep ":$layout\$" | sed 's/:.*//' | paste -sd, - || true)"
    [ -n "$by_layout" ] || continue
    /usr/bin/python3 "$here/sgemm_reference.py" --threads "$threads" --shapes "$by_layout" --layouts "$layout" \
      --reps 10 --json >>"$1" || die "bench/sgemm_reference.py failed (output above)."
  done
}
if [ "$openblas" = 1 ]; then
  echo "matmul.sh: OpenBLAS sgemm, $threads threads ..." >&2
  reference "$tmp/blas1.jsonl"
fi

# ------------------------------------------------------------------------------ ours (JMH)
if [ "$same_jvm" = 0 ]; then
  echo "matmul.sh: Flywheel matmul (JMH), $threads threads ..." >&2
  jmh_opts=(-wi 3 -i 5 -w 1 -r 1)
  [ "$quick" = 1 ] && jmh_opts=(-wi 2 -i 3 -w 500ms -r 500ms)
  "$jdk/bin/java" --add-modules jdk.incubator.vector -cp "$classes:$root/bench/target/lib/*" org.openjdk.jmh.Main \
    MatmulBench -p "shape=$shapes" -p "threads=$threads" "${jmh_opts[@]}" -rf json -rff "$tmp/jmh.json" \
    >"$tmp/jmh.log" 2>&1 || { tail -n 30 "$tmp/jmh.log" >&2; die "JMH failed (output above)."; }
fi

if [ "$openblas" = 1 ]; then
  echo "matmul.sh: OpenBLAS sgemm again ..." >&2
  reference "$tmp/blas2.jsonl"
fi

# ------------------------------------------------------------------------------ table
python3 - "$tmp" "$shapes" "$threads" "$openblas" "$json" <<'EOF'
import json, os, sys
tmp, shapes, threads, openblas, out = sys.argv[1], sys.argv[2].split(","), sys.argv[3], sys.argv[4] == "1", sys.argv[5]
ours, blas = {}, {}
side = os.path.join(tmp, "side.jsonl")
if os.path.exists(side):
    for line in open(side):
        o = json.loads(line)
        key = f"{o['shape']}:{o['layout']}"
        ours[key], blas[key] = o["flywheel_gflops"], o["openblas_gflops"]
    how = "both in one JVM, alternating: medians of %d rounds" % o["rounds"]
else:
    for r in json.load(open(os.path.join(tmp, "jmh.json"))):
        s = r["params"]["shape"]
        m, n, k = (int(x) for x in s.split(":")[0].split("x"))
        ours[s] = 2.0 * m * n * k / (r["primaryMetric"]["score"] * 1e6)
    how = "Flywheel: JMH average; OpenBLAS: better median of two runs"
if openblas:
    for f in ("blas1.jsonl", "blas2.jsonl"):
        for line in open(os.path.join(tmp, f)):
            o = json.loads(line)
            key = f"{o['m']}x{o['n']}x{o['k']}:{o['layout']}"
            blas[key] = max(blas.get(key, 0.0), o["gflops_median"])
print(f"Matmul GFLOP/s, {threads} threads ({how})")
print()
print("| M x N x K | layout | Flywheel GFLOP/s | OpenBLAS GFLOP/s | fraction |")
print("|---|---|---:|---:|---:|")
rows = []
for s in shapes:
    dims, layout = s.split(":")
    f, b = ours.get(s), blas.get(s)
    frac = f / b if f and b else None
    rows.append({"shape": dims, "layout": layout, "flywheel_gflops": round(f, 1) if f else None,
                 "openblas_gflops": b, "fraction": round(frac, 3) if frac else None, "threads": int(threads)})
    print(f"| {dims.replace('x', ' x ')} | {layout} | {f:.1f} | " + (f"{b:.1f} | {frac:.0%} |" if b else "— | — |"))
fr = [r["fraction"] for r in rows if r["fraction"]]
if fr:
    print()
    print(f"fraction of OpenBLAS: min {min(fr):.0%}, median {sorted(fr)[len(fr) // 2]:.0%} over {len(fr)} shapes")
if out:
    with open(out, "w") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
EOF
