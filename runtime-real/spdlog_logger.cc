#include "runtime-real/spdlog_logger.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

#include "core/base/check.h"

namespace gafka::real {
namespace {

spdlog::level::level_enum ToSpdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::err;
}

}  // namespace

Result<std::unique_ptr<SpdlogLogger>> SpdlogLogger::Create(SpdlogLoggerOptions options) {
  std::vector<spdlog::sink_ptr> sinks;
  if (options.to_stderr) sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (!options.file_path.empty()) {
    // spdlog reports a file it cannot open by throwing; keep that inside.
    try {
      sinks.push_back(
          std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file_path, false));
    } catch (const spdlog::spdlog_ex& e) {
      return IoError("log file " + options.file_path + ": " + e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>(options.name, sinks.begin(), sinks.end());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%L%$ %n [%t] %v");
  logger->set_level(ToSpdlog(options.min_level));
  logger->flush_on(spdlog::level::warn);
  return std::unique_ptr<SpdlogLogger>(new SpdlogLogger(std::move(logger)));
}

SpdlogLogger::SpdlogLogger(std::shared_ptr<spdlog::logger> logger) : logger_(std::move(logger)) {
  CHECK(logger_ != nullptr);
}

SpdlogLogger::~SpdlogLogger() { logger_->flush(); }

void SpdlogLogger::Log(LogLevel level, std::string_view message) {
  logger_->log(ToSpdlog(level), spdlog::string_view_t(message.data(), message.size()));
}

void SpdlogLogger::set_min_level(LogLevel level) { logger_->set_level(ToSpdlog(level)); }

void SpdlogLogger::Flush() { logger_->flush(); }

}  // namespace gafka::real
