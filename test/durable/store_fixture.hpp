// One 3-server JetStream cluster per test process, shared by every test of
// the binary (it takes seconds to start and elect leaders), and a store on it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "durable/jetstream.hpp"
#include "durable/jetstream_cluster.hpp"
#include "tact/errors.hpp"

namespace tact::test {

// JetStream answers a few seconds after the servers start (a meta leader is
// elected first): connect until the stream and buckets can be made.
inline std::unique_ptr<nats::durable::JetStream> open_store(
    const JetStreamCluster& cluster, std::string name,
    std::chrono::milliseconds lease = std::chrono::milliseconds(10000)) {
  nats::durable::StoreConfig config;
  config.servers = cluster.urls();
  config.cluster = std::move(name);
  config.lease = lease;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    try {
      return std::make_unique<nats::durable::JetStream>(config);
    } catch (const tact::Error&) {
      if (std::chrono::steady_clock::now() > give_up) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
}

class DurableStoreTest : public ::testing::Test {
 protected:
  static JetStreamCluster& cluster() {
    static JetStreamCluster shared(3);
    return shared;
  }
  static nats::durable::JetStream& store() {
    static std::unique_ptr<nats::durable::JetStream> shared = open_store(cluster(), "t");
    return *shared;
  }
  static std::chrono::steady_clock::time_point in(int ms) {
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  }
};

}  // namespace tact::test
