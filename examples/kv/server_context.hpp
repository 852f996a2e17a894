// ServerContext: what every I/O thread shares. Built before the threads start and
// read-only afterwards, so sharing it needs no synchronisation beyond the thread
// start itself.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include <tact/tact.hpp>

#include "resp_limits.hpp"
#include "shard_pool.hpp"

namespace kv {

struct ServerContext {
  std::unique_ptr<ShardPool> shards;
  // Where the shards live; an I/O thread with `io_runs_shards` drives it.
  tact::Runtime* runtime = nullptr;
  bool io_runs_shards = true;
  RespLimits limits;
  int listen_fd = -1;
  // Per connection: requests in flight, and reply bytes the client has not read,
  // above which the connection is not read from until it catches up (backpressure:
  // a client that pipelines without reading cannot grow our memory without bound).
  std::size_t max_in_flight = 1024;
  std::size_t max_unsent = 4u << 20;
  // How long an I/O thread with answers due spins before sleeping in epoll_wait.
  std::chrono::microseconds io_spin{0};
  // How long an idle I/O thread keeps polling its sockets (epoll_wait that does
  // not sleep) before it sleeps in epoll_wait.
  std::chrono::microseconds io_poll{0};
};

}  // namespace kv
