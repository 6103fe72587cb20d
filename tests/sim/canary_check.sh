#!/usr/bin/env bash
# The canary check: a sweep over scenarios/canary.json (about 1% of seeds
# get a lying fsync) must
#   1. exit 1 and report at least one failure, each with a replay command;
#   2. pass every seed that is not a canary seed (no false alarms);
# and the printed replay command must fail again with the same violation and
# the same trace hash.
#
#   canary_check.sh GAFKA_SIM SCENARIO SEEDS [JOBS]
set -uo pipefail
sim=$1 scenario=$2 seeds=$3 jobs=${4:-2}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

"$sim" sweep --scenario "$scenario" --seeds "$seeds" --jobs "$jobs" >"$out" 2>&1
status=$?
tail -3 "$out"
if [ "$status" -ne 1 ]; then
  echo "canary: the sweep exited $status; it must exit 1 (a canary seed must fail)"
  cat "$out"
  exit 1
fi
# The very last line is the sweep's JSON figures, naming the failed seeds.
last=$(tail -1 "$out")
if [[ "$last" != "{"*'"failed_seeds":['[0-9]*'"seeds_per_minute_per_core":'*'"sim_seconds_per_wall_second":'*"}" ]]; then
  echo "canary: the last line is not the JSON figures with the failed seeds: $last"
  exit 1
fi
failures=$(grep -c '^FAIL' "$out")
canaries=$(grep '^FAIL' "$out" | grep -c 'CANARY')
if [ "$failures" -lt 1 ] || [ "$failures" -ne "$canaries" ]; then
  echo "canary: $failures failures, $canaries of them canary seeds; every failure must be a canary"
  grep -A3 '^FAIL' "$out"
  exit 1
fi
replay=$(grep -m1 '^  replay: ' "$out" | sed 's/^  replay: //')
violated=$(grep -m1 '^  violated: ' "$out" | sed 's/^  violated: //')
hash=$(grep -m1 '^FAIL' "$out" | sed -E 's/.* hash=([0-9a-f]+) .*/\1/')
if [ -z "$replay" ] || [ -z "$violated" ]; then
  echo "canary: a failure without a replay command or a violation"
  exit 1
fi
echo "canary: $failures canary seed(s) caught; replaying: $replay"
# Replay without --trace (same run, less output).
replay_out=$(${replay% --trace} 2>&1)
replay_status=$?
if [ "$replay_status" -ne 1 ]; then
  echo "canary: the replay exited $replay_status; it must fail again"
  echo "$replay_out" | tail -20
  exit 1
fi
if ! grep -qF "violated: $violated" <<<"$replay_out"; then
  echo "canary: the replay failed differently; expected: $violated"
  echo "$replay_out" | grep 'violated' || echo "$replay_out" | tail -5
  exit 1
fi
if ! grep -q "hash=$hash " <<<"$replay_out"; then
  echo "canary: the replay's trace hash differs from the sweep's ($hash)"
  exit 1
fi
echo "canary: the replay failed the same way (hash $hash): $violated"
