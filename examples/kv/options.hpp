// Options: tact-kv's command line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "resp_limits.hpp"

namespace kv {

struct Options {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 6380;  // 0: an ephemeral port (printed at start-up)
  // Defaults measured on a 2-vCPU machine shared with the benchmark client (docs/embedding.md): one I/O thread and one tact worker leave the client a core.
  std::size_t io_threads = 1;
  // 0: one shard per worker. More shards than workers add an ask per shard per
  // I/O round and buy no parallelism (measured: ~20% more CPU per request at 4
  // shards on 1 worker).
  std::size_t shards = 0;
  std::size_t workers = 1;
  std::size_t spin_us = 50;     // tact::Config::spin_before_park
  std::size_t io_spin_us = 0;  // ServerContext::io_spin
  std::size_t io_poll_us = 50;  // ServerContext::io_poll
  // I/O threads run the shard actors their requests wake (tact::Driver), instead
  // of waking a worker for them: one thread per request, as redis-server.
  bool io_runs_shards = true;
  // Serve GET /metrics (Prometheus text of the runtime's metrics) on this
  // port of --bind's address; -1: no endpoint. Needs tact::metrics_http.
  int metrics_port = -1;
  RespLimits limits;
  bool help = false;
};

// Parses argv into `options`. On a bad argument returns false with `error` set.
bool parse_options(int argc, char** argv, Options& options, std::string& error);

// What --help prints.
std::string usage();

}  // namespace kv
