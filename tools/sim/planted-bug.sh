#!/usr/bin/env bash
# The simulator's power check (docs/simulation.md, "The canary, and a planted
# bug"): plant a real durability bug — the broker acknowledges a produce
# before its fsync completes (tools/sim/planted-bug.patch) — in a throw-away
# copy of HEAD, build gafka-sim there, sweep a scenario, and report the first
# seed that catches it with the command that replays it. The bug never
# touches the working tree; the copy is deleted at the end (KEEP=1 keeps it,
# so the printed replay command can be run).
#
#   tools/sim/planted-bug.sh [SCENARIO] [SEEDS] [JOBS]
#       SCENARIO  default scenarios/crash-torn-wal.json
#       SEEDS     default 1..100
#       JOBS      default 2
#
# Exit 0 when the sweep caught the bug (at least one seed failed), 1 when
# every seed passed (the simulator missed it), 2 on a setup or build error.
# It needs a full build of gafka-sim in the copy (a few minutes), so it is not
# part of ctest; run it after changing the oracle, the clients or the crash
# model.
set -uo pipefail
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel) || exit 2
scenario=${1:-scenarios/crash-torn-wal.json}
seeds=${2:-1..100}
jobs=${3:-2}
patch="$repo/tools/sim/planted-bug.patch"

copy=$(mktemp -d /tmp/gafka-planted-bug.XXXXXX) || exit 2
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "kept $copy"; else rm -rf "$copy"; fi; }
trap cleanup EXIT

echo "planted-bug: copying HEAD ($(git -C "$repo" rev-parse --short HEAD)) to $copy"
git -C "$repo" archive HEAD | tar -x -C "$copy" || exit 2
git -C "$copy" apply "$patch" 2>/dev/null || (cd "$copy" && patch -p1 -s <"$patch") || {
  echo "planted-bug: the patch no longer applies; update $patch"
  exit 2
}
grep -q "PLANTED BUG" "$copy/core/broker/producer.cc" || exit 2
echo "planted-bug: building gafka-sim with the bug (acks before fsync)"
if ! { cmake -S "$copy" -B "$copy/build" >"$copy/build.log" 2>&1 &&
       cmake --build "$copy/build" -j"$jobs" --target gafka-sim >>"$copy/build.log" 2>&1; }; then
  tail -30 "$copy/build.log"
  echo "planted-bug: build failed"
  exit 2
fi

out="$copy/sweep.txt"
(cd "$copy" && build/bin/gafka-sim sweep --scenario "$scenario" --seeds "$seeds" --jobs "$jobs") \
  >"$out" 2>&1
status=$?
grep '^summary' "$out"
failures=$(grep -c '^FAIL' "$out")
if [ "$status" -ne 1 ] || [ "$failures" -lt 1 ]; then
  echo "planted-bug: NOT CAUGHT: the sweep exited $status with $failures failing seeds"
  exit 1
fi
first=$(grep -m1 '^FAIL' "$out" | sed -E 's/^FAIL seed=([^ ]+) .*/\1/')
violated=$(grep -m1 '^  violated: ' "$out" | sed 's/^  violated: //')
replay=$(grep -m1 '^  replay: ' "$out" | sed 's/^  replay: //')
total=$(grep -cE '^(PASS|FAIL)' "$out")
echo "planted-bug: CAUGHT: $failures of $total seeds failed; the first at seed $first"
echo "planted-bug: violated: $violated"
echo "planted-bug: replay (in $copy; KEEP=1 to keep it): $replay"
printf '{"tool":"planted-bug","scenario":"%s","seeds":"%s","seeds_run":%s,"failed":%s,"first_failing_seed":"%s","caught":true}\n' \
  "$scenario" "$seeds" "$total" "$failures" "$first"
exit 0
