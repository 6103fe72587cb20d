// gafka-bench http-ceiling: the ceiling our produce path is compared with.
//
// A bare cpp-httplib server, as the issue defines the ceiling, with the
// setup the broker had while it served with cpp-httplib (TCP_NODELAY,
// SO_REUSEADDR only, listen backlog raised to 1024 through a subclass, a
// pool of --threads workers (default 64), the same keep-alive and payload
// settings; the broker now has its own epoll server) serving
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
