#include "runtime-real/real_env.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "runtime-real/real_random.h"
#include "runtime-real/spdlog_logger.h"
#include "tests/runtime-real/temp_dir.h"

namespace gafka::real {
namespace {

using testing::TempDir;

TEST(RealRandom, SameSeedGivesTheSameStreams) {
  RealRandom a(42);
  RealRandom b(42);
  EXPECT_EQ(a.seed(), 42u);
  Rng a_log = a.Stream("log");
  Rng b_log = b.Stream("log");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a_log.Next(), b_log.Next());
  EXPECT_NE(a.Stream("log").Next(), a.Stream("group").Next());
}

TEST(RealRandom, DeviceSeedsDiffer) {
  // Two 64-bit seeds from the device colliding would be a broken device.
  EXPECT_NE(RealRandom().seed(), RealRandom().seed());
}

TEST(SpdlogLogger, FileSinkGetsMessagesAtOrAboveTheMinimumLevel) {
  TempDir dir;
  const std::string path = dir.path() + "/gafka.log";
  auto logger = SpdlogLogger::Create(
      {.name = "test", .min_level = LogLevel::kInfo, .to_stderr = false, .file_path = path});
  ASSERT_TRUE(logger.ok()) << logger.status().ToString();
  (*logger)->Log(LogLevel::kDebug, "hidden debug line");
  (*logger)->Log(LogLevel::kInfo, "an info line");
  (*logger)->Log(LogLevel::kError, "an error line");
  (*logger)->Flush();
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  EXPECT_EQ(contents.str().find("hidden debug line"), std::string::npos);
  EXPECT_NE(contents.str().find("an info line"), std::string::npos);
  EXPECT_NE(contents.str().find("an error line"), std::string::npos);
}

TEST(SpdlogLogger, UnopenableFileIsAnIoError) {
  TempDir dir;  // a directory cannot be opened as the log file
  auto logger = SpdlogLogger::Create({.to_stderr = false, .file_path = dir.path()});
  EXPECT_EQ(logger.status().code(), Code::kIoError);
  EXPECT_NE(logger.status().message().find(dir.path()), std::string::npos);
}

TEST(RealEnv, CreatesTheDataDirectoryAndWiresTheEnv) {
  TempDir dir;
  auto env = RealEnv::Create(
      {.data_dir = dir.path() + "/data/node-1", .seed = 7, .log = {.to_stderr = false}});
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  Env& e = (*env)->env();
  EXPECT_TRUE(e.disk.Exists(""));
  EXPECT_EQ(&e.clock, static_cast<Clock*>(&(*env)->loop()));
  EXPECT_FALSE(e.buggify.Fire("any-site"));
  EXPECT_EQ(e.random.Stream("x").Next(), RealRandom(7).Stream("x").Next());
  bool fired = false;
  e.clock.After(0, [&] { fired = true; });
  EXPECT_TRUE((*env)->loop().RunUntil([&] { return fired; }, 10'000));
}

TEST(RealEnv, DestroyingItJoinsARunningLoopThread) {
  TempDir dir;
  auto env = RealEnv::Create({.data_dir = dir.path(), .log = {.to_stderr = false}});
  ASSERT_TRUE(env.ok());
  (*env)->loop().RunInThread();
  env = Status(Code::kInternal, "released");  // destroys the RealEnv; must not hang
}

TEST(RealEnv, MissingDataDirectoryIsRefused) {
  EXPECT_EQ(RealEnv::Create({}).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace gafka::real
