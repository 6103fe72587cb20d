// Always-on assertions for programmer errors (TigerBeetle/Redpanda style).
// A failed CHECK is a bug in gafka, never a user error: it prints where and
// why, then aborts. User errors travel as Status values instead.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace gafka {

[[noreturn]] inline void CheckFailed(const char* file, int line, const char* expr, const char* msg) {
  std::fprintf(stderr, "CHECK failed at %s:%d: %s %s\n", file, line, expr, msg ? msg : "");
  std::fflush(stderr);
  std::abort();
}

}  // namespace gafka

#define GAFKA_CHECK(cond)                                              \
  do {                                                                 \
    if (!(cond)) ::gafka::CheckFailed(__FILE__, __LINE__, #cond, nullptr); \
  } while (0)

#define GAFKA_CHECK_MSG(cond, msg)                                   \
  do {                                                               \
    if (!(cond)) ::gafka::CheckFailed(__FILE__, __LINE__, #cond, msg); \
  } while (0)

#define CHECK(cond) GAFKA_CHECK(cond)
#define CHECK_MSG(cond, msg) GAFKA_CHECK_MSG(cond, msg)
