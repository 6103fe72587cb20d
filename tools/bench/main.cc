// gafka-bench: one executable, one subcommand per benchmark. Each benchmark
// lives in its own file and contributes a Register* function (RegisterFn in
// bench_util.h); add it to kBenchmarks below.
//
//   gafka-bench log-append  [--dir D] [--batch B] [--size S] [--seconds T] [--inflight N]
//   gafka-bench log-recover [--dir D] [--bytes N] [--crash kill|drop] [--cold] [--tear]
//   gafka-bench produce --broker H:P [--topic T] [--connections N] [--size S] [--batch B] [--seconds T] [--acks A]
//   gafka-bench e2e --broker H:P [--rate R] [--seconds T] [--size S]
//   gafka-bench http-ceiling [--port P] [--threads N] [--seconds T]
//   gafka-bench restart [--gib G] [--partitions P] [--connections N] [--batch B]
//   gafka-bench consume --broker H:P [--mode both|direct|group] [--partitions P] [--messages N]
//   gafka-bench group-rebalance --broker H:P [--partitions P] [--session-ms S] [--rounds R]
//   gafka-bench failover [--seconds T] [--writers W] [--size S]
//
// Every subcommand prints readable figures, then one JSON object as its last
// line of stdout.
#include <CLI/CLI.hpp>

#include "tools/bench/bench_util.h"
#include "tools/bench/log_append.h"
#include "tools/bench/log_recover.h"
#include "tools/bench/e2e_bench.h"
#include "tools/bench/group_bench.h"
#include "tools/bench/failover_bench.h"
#include "tools/bench/http_ceiling.h"
#include "tools/bench/produce_bench.h"
#include "tools/bench/restart_bench.h"

namespace {

constexpr gafka::bench::RegisterFn kBenchmarks[] = {
    gafka::bench::RegisterLogAppend,
    gafka::bench::RegisterLogRecover,
    gafka::bench::RegisterProduce,
    gafka::bench::RegisterE2e,
    gafka::bench::RegisterHttpCeiling,
    gafka::bench::RegisterRestart,
    gafka::bench::RegisterGroupConsume,
    gafka::bench::RegisterGroupRebalance,
    gafka::bench::RegisterFailover,
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gafka-bench: throughput, latency and recovery measurements of gafka"};
  app.require_subcommand(1);
  int exit_code = 0;
  for (gafka::bench::RegisterFn register_benchmark : kBenchmarks) {
    register_benchmark(app, &exit_code);
  }
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
