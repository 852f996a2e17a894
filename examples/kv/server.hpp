// Server: tact-kv put together. The tact runtime runs the shard actors; the
// listening socket is shared by the I/O threads, each accepting and owning its
// own connections (io_thread.hpp describes the loop).
//
// Stop order: I/O threads first (each answers what it parsed and waits for its
// batches to come back), then the runtime — so no shard answer is ever lost or
// delivered to a thread that has gone.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <tact/tact.hpp>

#include "io_thread.hpp"
#include "options.hpp"
#include "server_context.hpp"

namespace kv {

struct MetricsEndpoint;  // server.cpp: tact::metrics::HttpEndpoint, when built with it

class Server {
 public:
  // Binds and listens (throws std::system_error), spawns the shards; serves
  // nothing until start().
  explicit Server(const Options& options);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  // The /metrics endpoint's port; 0 without --metrics-port.
  std::uint16_t metrics_port() const noexcept;
  void start();
  void stop();

 private:
  tact::Runtime runtime_;
  std::unique_ptr<MetricsEndpoint> metrics_;  // --metrics-port
  ServerContext context_;
  std::vector<std::unique_ptr<IoThread>> io_threads_;
  std::uint16_t port_ = 0;
};

}  // namespace kv
