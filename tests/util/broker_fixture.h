// The fixture of end-to-end tests that talk to one real gafka-broker: SetUp
// starts it (BrokerProcess: fresh data dir, free loopback port) and opens a
// Client on it; CreateTopic asserts the topic was created.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "runtime-real/client.h"
#include "tests/util/broker_process.h"

namespace gafka::testing {

// Creates `name` with `partitions` through `client`; a failure fails the test.
inline void CreateTopicOrFail(Client& client, const std::string& name, int32_t partitions = 1) {
  CreateTopicRequest request;
  request.name = name;
  request.partitions = partitions;
  auto created = client.CreateTopic(request);
  ASSERT_TRUE(created.ok()) << "create-topic " << name << ": " << created.status().ToString();
}

class BrokerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = BrokerProcess::Start();
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    broker_ = std::move(started).value();
    client_ = std::make_unique<Client>(broker_->address());
  }

  void CreateTopic(const std::string& name, int32_t partitions = 1) {
    CreateTopicOrFail(*client_, name, partitions);
  }

  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<Client> client_;
};

}  // namespace gafka::testing
