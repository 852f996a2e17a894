// Three nats-server processes of the test's own with JetStream, routed into one
// cluster on loopback, their files in a fresh temporary directory (removed at
// the end). Servers are started, killed and restarted only through this object.
#pragma once

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "nats/nats_server.hpp"

namespace tact::test {

class JetStreamCluster {
 public:
  explicit JetStreamCluster(int size = 3) {
    char pattern[] = "/tmp/tact-js-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    for (int i = 0; i < size; ++i) {
      client_ports_.push_back(free_loopback_port());
      route_ports_.push_back(free_loopback_port());
    }
    for (int i = 0; i < size; ++i) start(i);
  }
  ~JetStreamCluster() {
    servers_.clear();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  JetStreamCluster(const JetStreamCluster&) = delete;
  JetStreamCluster& operator=(const JetStreamCluster&) = delete;

  std::vector<std::string> urls() const {
    std::vector<std::string> out;
    for (int port : client_ports_) out.push_back("nats://127.0.0.1:" + std::to_string(port));
    return out;
  }
  int size() const { return static_cast<int>(client_ports_.size()); }
  // SIGKILL server i (its files stay, for a restart).
  void kill(int i) { servers_[static_cast<std::size_t>(i)].reset(); }
  // Starts server i again on its ports, with its files.
  void restart(int i) { start(i); }

 private:
  void start(int i) {
    const auto index = static_cast<std::size_t>(i);
    if (servers_.size() <= index) servers_.resize(index + 1);
    NatsServer::Options options;
    options.port = client_ports_[index];
    options.cluster_port = route_ports_[index];
    for (std::size_t j = 0; j < route_ports_.size(); ++j) {
      if (j != index) options.routes.push_back(route_ports_[j]);
    }
    options.name = "js" + std::to_string(i);
    options.store_dir = dir_ + "/" + options.name;
    servers_[index] = std::make_unique<NatsServer>(options);
  }

  std::string dir_;
  std::vector<int> client_ports_;
  std::vector<int> route_ports_;
  std::vector<std::unique_ptr<NatsServer>> servers_;
};

}  // namespace tact::test
