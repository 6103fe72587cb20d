-- The original produce benchmark (SPEC §9): one 1 KB message per request to
-- test-topic, key "test-<1..1000>", over wrk's keep-alive connections.
--
-- Against the broker (acks=1: answered after fsync):
--   build/bin/gafka-broker --port 9001 --data-dir "$(mktemp -d)" &
--   build/bin/gafka-admin --broker 127.0.0.1:9001 create-topic --name test-topic --partitions 2
--   wrk -t1 -c16 -d10s -s tools/bench/produce.lua http://127.0.0.1:9001/api/v1/produce
--   kill %1
--
-- Against the ceiling (same httplib setup, same JSON decoding, no storage),
-- in the same run, to compare req/s:
--   build/bin/gafka-bench http-ceiling --port 9101 &
--   wrk -t1 -c16 -d10s -s tools/bench/produce.lua http://127.0.0.1:9101/api/v1/produce
--   kill %1
--
-- Look for "Non-2xx or 3xx responses" in wrk's output: every request must be
-- answered 200 for the figure to count.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local message_1kb = string.rep("a", 1024)
function request()
  local body = string.format('{"topic":"test-topic","key":"test-%d","value":"%s"}',
                             math.random(1000), message_1kb)
  return wrk.format(wrk.method, wrk.path, wrk.headers, body)
end
