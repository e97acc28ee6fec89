#!/usr/bin/env bash
# Regenerates the PyTorch cross-check fixture of the engine (engine/src/test/resources/torch/):
# the engine writes a checkpoint and a batch per variant, PyTorch (float64) adds expected.safetensors.
# Needs Debian's python3-torch (see tools/README.md); CI does not, the fixture is committed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
./mvnw -q -pl engine test-compile
out="engine/src/test/resources/torch"
rm -rf "$out"
java_bin=""
for c in "${JAVA_HOME:-}" /usr/lib/jvm/*25*; do
  if [ -x "$c/bin/java" ] && "$c/bin/java" -version 2>&1 | grep -q '"25'; then java_bin="$c/bin/java"; break; fi
done
"$java_bin" --add-modules jdk.incubator.vector -cp engine/target/classes:engine/target/test-classes \
  dev.flywheel.engine.TorchFixtureWriter "$out" 2>/dev/null
for d in "$out"/*/; do
  /usr/bin/python3 tools/torch_reference.py "$d"
done
echo "fixture regenerated in $out"
