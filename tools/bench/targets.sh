#!/usr/bin/env bash
# Measures every performance target of the single broker (issue 3) in one
# run, each against the http-ceiling server back to back, and prints the
# ratios. Needs build/bin (any build type; RelWithDebInfo is the default)
# and wrk. Run it on a quiet machine: it prints the load average and one
# 4 KiB write+fdatasync timing before and after, because both move the
# figures a lot on a small shared VM.
#
#   tools/bench/targets.sh [--repeat N] [--seconds S] [--data-dir DIR] [--skip-restart]
#                          [--broker-flags "FLAGS"]
#
# FLAGS are passed to every gafka-broker started (e.g. "--flat-combining=false"
# to compare with the loop-thread-only hand-off).
# DIR (default /tmp/gafka-targets) must be on the disk under test: not tmpfs.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=build/bin
repeat=3
seconds=8
data_parent=/tmp/gafka-targets
restart=1
broker_flags=""
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) repeat=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --data-dir) data_parent=$2; shift 2 ;;
    --skip-restart) restart=0; shift ;;
    --broker-flags) broker_flags=$2; shift 2 ;;
    *) echo "usage: $0 [--repeat N] [--seconds S] [--data-dir DIR] [--skip-restart] [--broker-flags FLAGS]" >&2; exit 2 ;;
  esac
done
mkdir -p "$data_parent"
broker_port=19001
ceiling_port=19101
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

fsync_ms() {  # median of 200 x (write 4 KiB + fdatasync), in ms
  python3 - "$data_parent" <<'EOF'
import os, sys, time
path = os.path.join(sys.argv[1], "fsync-probe")
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
t = []
for _ in range(200):
    os.write(fd, b"x" * 4096)
    s = time.perf_counter(); os.fdatasync(fd); t.append(time.perf_counter() - s)
os.close(fd); os.unlink(path); t.sort()
print("%.3f" % (t[len(t) // 2] * 1e3))
EOF
}
conditions() { echo "# $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg); fdatasync p50 $(fsync_ms) ms"; }

start_ceiling() {
  "$bin/gafka-bench" http-ceiling --port $ceiling_port > /dev/null 2>&1 &
  pids+=($!); ceiling_pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "127.0.0.1:$ceiling_port/" && break; sleep 0.05; done
}
start_broker() {
  data=$(mktemp -d "$data_parent/broker.XXXXXX")
  "$bin/gafka-broker" --port $broker_port --data-dir "$data" --log-level warn $broker_flags > "$data.log" 2>&1 &
  pids+=($!); broker_pid=$!
  for _ in $(seq 100); do curl -sf -o /dev/null "127.0.0.1:$broker_port/healthz" && break; sleep 0.05; done
  "$bin/gafka-admin" --broker 127.0.0.1:$broker_port create-topic --name test-topic --partitions 2 > /dev/null
}
stop() { kill "$1"; wait "$1" 2>/dev/null || true; }

wrk_rps() {  # port -> "req/s avg_latency non2xx"
  local out
  out=$(wrk -t1 -c16 -d"${seconds}s" -s tools/bench/produce.lua "http://127.0.0.1:$1/api/v1/produce")
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '/Latency/ {print $2}' <<<"$out") $(awk '/Non-2xx/ {print $5}' <<<"$out")"
}
json_field() { python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['$1'])"; }

echo "== wrk, 1 x 1 KiB per request, 16 connections, acks=1 (target: broker >= 80% of ceiling)"
for i in $(seq "$repeat"); do
  conditions
  start_ceiling; read -r c_rps c_lat c_bad <<<"$(wrk_rps $ceiling_port)"; stop "$ceiling_pid"
  start_broker; read -r b_rps b_lat b_bad <<<"$(wrk_rps $broker_port)"; stop "$broker_pid"; rm -rf "$data" "$data.log"
  echo "wrk run $i: ceiling $c_rps req/s (avg $c_lat${c_bad:+, non-2xx $c_bad}); broker $b_rps req/s (avg $b_lat${b_bad:+, non-2xx $b_bad}); ratio $(python3 -c "print('%.0f%%' % (100*$b_rps/$c_rps))")"
done

echo "== gafka-bench produce, 100 x 1 KiB per request, 16 connections (target: >= 80% of ceiling and >= 200,000 msg/s)"
for i in $(seq "$repeat"); do
  conditions
  start_ceiling
  c=$("$bin/gafka-bench" produce --broker 127.0.0.1:$ceiling_port --no-create --connections 16 --size 1024 --batch 100 --seconds "$seconds" | json_field msgs_per_s)
  stop "$ceiling_pid"
  start_broker
  b_json=$("$bin/gafka-bench" produce --broker 127.0.0.1:$broker_port --topic test-topic --connections 16 --size 1024 --batch 100 --seconds "$seconds" | tail -1)
  stop "$broker_pid"; rm -rf "$data" "$data.log"
  b=$(json_field msgs_per_s <<<"$b_json"); p99=$(json_field p99_ms <<<"$b_json")
  echo "batch run $i: ceiling $c msg/s; broker $b msg/s (p99 $p99 ms); ratio $(python3 -c "print('%.0f%%' % (100*$b/$c))")"
done

echo "== gafka-bench e2e --rate 5000 (target: p99 <= 5 ms)"
for i in $(seq "$repeat"); do
  conditions
  start_broker
  e=$("$bin/gafka-bench" e2e --broker 127.0.0.1:$broker_port --rate 5000 --seconds "$seconds" | tail -1)
  stop "$broker_pid"; rm -rf "$data" "$data.log"
  echo "e2e run $i: $e"
done

if [ "$restart" = 1 ]; then
  echo "== gafka-bench restart --gib 1 (target: serving again <= 1000 ms)"
  conditions
  "$bin/gafka-bench" restart --gib 1 --dir "$data_parent" | tail -1
  "$bin/gafka-bench" restart --gib 1 --dir "$data_parent" --cold | tail -1
fi
conditions
