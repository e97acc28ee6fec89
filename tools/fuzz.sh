#!/usr/bin/env bash
# The parsers' fuzz tests (issue 22) with many more inputs than the suite runs: TRIES per parser (default 20000).
# Prints one line per parser — inputs, accepted, refused cleanly, findings — and the input file of every finding
# (MODULE/target/fuzz-findings/PARSER/). A finding worth keeping goes into MODULE/src/test/resources/fuzz/PARSER/.
#   bash tools/fuzz.sh [TRIES]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tries="${1:-20000}"
cd "$root"
status=0
nice -n 5 ./mvnw -o -q -pl engine,data,lab,agent test -Dfuzz.tries="$tries" -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest='EngineFuzzTest,DataFuzzTest,LabFuzzTest,LabToolsFuzzTest' >/tmp/fuzz-$$.log 2>&1 || status=$?
grep -ho 'fuzz [a-z-]*: [0-9]* inputs[^&<]*' engine/target/surefire-reports/TEST-*Fuzz*.xml data/target/surefire-reports/TEST-*Fuzz*.xml \
  lab/target/surefire-reports/TEST-*Fuzz*.xml agent/target/surefire-reports/TEST-*Fuzz*.xml | sort -u
[ "$status" = 0 ] || { echo "fuzz: findings or failures; see /tmp/fuzz-$$.log and */target/fuzz-findings/" >&2; exit 1; }
rm -f /tmp/fuzz-$$.log
