#!/usr/bin/env bash
# The kill drill of issue 22 at full strength: `flywheel research` killed with -9 at KILLS seeded random moments
# (default 20), each followed by --resume, then compared with the same study run without interruption; and the
# SIGINT drill. Prints where each kill landed and whether anything was lost or run twice (the test fails if so).
#   bash tools/chaos.sh [KILLS] [SEED]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
kills="${1:-20}"
seed="${2:-22}"
cd "$root"
status=0
nice -n 5 ./mvnw -o -q -pl app -am test -Dtest=KillDrillTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Ddrill.kills="$kills" -Ddrill.seed="$seed" >/tmp/chaos-$$.log 2>&1 || status=$?
python3 - "$root/app/target/surefire-reports/TEST-dev.flywheel.app.KillDrillTest.xml" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
for m in re.finditer(r'<system-out><!\[CDATA\[(.*?)\]\]>', s, re.S):
    for line in m.group(1).splitlines():
        if line.startswith(('kill drill', '  kill', '  ended')): print(line)
for m in re.finditer(r'<testcase name="([^"]*)"[^>]*time="([^"]*)"(/?)>', s):
    print(f"{m.group(1)}: {m.group(2)} s")
PY
[ "$status" = 0 ] || { echo "chaos: a drill failed; see /tmp/chaos-$$.log" >&2; exit 1; }
rm -f /tmp/chaos-$$.log
