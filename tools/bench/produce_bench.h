// gafka-bench produce: HTTP produce throughput and per-request latency
// against a running broker.
//
// Creates the topic if missing (2 partitions; --no-create skips that, for
// http-ceiling), then N client threads, each
// with its own keep-alive connection (gafka::Client), POST batches of B
// messages of S bytes to /api/v1/produce?acks=A for T seconds, one request
// outstanding per connection. Request bodies are built once per thread, so
// the client spends its CPU on HTTP, not on JSON. Reports msgs/s, requests/s,
// MB/s (values only), per-request latency p50/p95/p99/max and errors (failed
// requests plus per-message errors of batch answers).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "core/base/status.h"

namespace gafka {
class Client;
}

namespace gafka::bench {

void RegisterProduce(CLI::App& app, int* exit_code);

// Creates `topic` with `partitions` partitions unless it exists already.
Status EnsureTopic(Client& client, const std::string& topic, int partitions);

}  // namespace gafka::bench
