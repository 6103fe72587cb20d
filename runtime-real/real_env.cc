#include "runtime-real/real_env.h"

#include <utility>

namespace gafka::real {

Result<std::unique_ptr<RealEnv>> RealEnv::Create(RealEnvOptions options) {
  if (options.data_dir.empty()) return InvalidArgument("RealEnv needs a data directory");
  auto logger = SpdlogLogger::Create(options.log);
  if (!logger.ok()) return logger.status();
  std::unique_ptr<RealEnv> env(new RealEnv(options, std::move(logger).value()));
  if (options.create_data_dir) GAFKA_RETURN_IF_ERROR(env->disk().MakeDirs(""));
  return env;
}

RealEnv::RealEnv(const RealEnvOptions& options, std::unique_ptr<SpdlogLogger> logger)
    : loop_(options.post_queue_max),
      disk_(loop_, options.data_dir, options.io_threads),
      random_(options.seed ? std::make_unique<RealRandom>(*options.seed)
                           : std::make_unique<RealRandom>()),
      logger_(std::move(logger)),
      env_{loop_, disk_, *random_, *logger_, buggify_} {}

RealEnv::~RealEnv() { loop_.Join(); }

}  // namespace gafka::real
