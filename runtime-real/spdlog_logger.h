// SpdlogLogger: gafka::Logger on spdlog, to stderr and optionally a file.
//
// Thread-safe (spdlog's _mt sinks): the loop, HTTP threads and I/O threads
// may all log. Owned by the runtime (RealEnv) or a tool. The spdlog logger is
// private to this object (not put in spdlog's global registry), so two
// instances with the same name do not collide.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/env/env.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace gafka::real {

struct SpdlogLoggerOptions {
  std::string name = "gafka";
  LogLevel min_level = LogLevel::kInfo;
  bool to_stderr = true;
  std::string file_path;  // empty: no file sink; else appended to
};

class SpdlogLogger final : public Logger {
 public:
  // kIoError if the log file cannot be opened.
  static Result<std::unique_ptr<SpdlogLogger>> Create(SpdlogLoggerOptions options);
  ~SpdlogLogger() override;
  SpdlogLogger(const SpdlogLogger&) = delete;
  SpdlogLogger& operator=(const SpdlogLogger&) = delete;

  void Log(LogLevel level, std::string_view message) override;
  void set_min_level(LogLevel level);
  // Writes buffered lines out (warnings and errors are flushed at once).
  void Flush();

 private:
  explicit SpdlogLogger(std::shared_ptr<spdlog::logger> logger);
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace gafka::real
