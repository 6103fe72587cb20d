// gafka-bench http-ceiling: the ceiling our produce path is compared with.
//
// A bare cpp-httplib server with the broker's thread and socket setup
// (runtime-real/http_server.cc: TCP_NODELAY, SO_REUSEADDR only, listen
// backlog raised to 1024 through a subclass, a pool of --threads workers
// (broker default 64), the same keep-alive and payload settings) serving
// POST /api/v1/produce: it converts the request exactly as the broker does,
// decodes it with gafka::DecodeRequest (the same JSON parsing and
// validation), and answers with gafka::EncodeResponse of a ProduceResponse
// (offsets from a counter) — without storing anything and without the hop to
// the broker's loop. Runs until SIGINT/SIGTERM or --seconds; on exit prints
// the requests and messages it answered, and one JSON line.
#pragma once

#include <CLI/CLI.hpp>

namespace gafka::bench {

void RegisterHttpCeiling(CLI::App& app, int* exit_code);

}  // namespace gafka::bench
