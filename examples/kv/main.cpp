// tact-kv: a Redis-protocol key-value server whose data lives in tact actors.
// `tact-kv --help` lists the options; docs/embedding.md the design.
#include <cstdio>
#include <exception>
#include <string>

#include "options.hpp"
#include "server.hpp"
#include "stop_signals.hpp"

int main(int argc, char** argv) {
  kv::Options options;
  std::string error;
  if (!kv::parse_options(argc, argv, options, error)) {
    std::fprintf(stderr, "tact-kv: %s\n", error.c_str());
    return 2;
  }
  if (options.help) {
    std::fputs(kv::usage().c_str(), stdout);
    return 0;
  }
  try {
    kv::StopSignals signals;  // first: every thread started below inherits the mask
    kv::Server server(options);
    server.start();
    std::printf("tact-kv listening on %s:%u (io-threads %zu, shards %zu, workers %zu, io-runs-shards %d)\n",
                options.bind.c_str(), static_cast<unsigned>(server.port()), options.io_threads,
                options.shards, options.workers, options.io_runs_shards ? 1 : 0);
    if (server.metrics_port() != 0) std::printf("tact-kv metrics on http://%s:%u/metrics\n", options.bind.c_str(), static_cast<unsigned>(server.metrics_port()));
    std::fflush(stdout);
    const int signal = signals.wait();
    std::printf("tact-kv: signal %d, stopping\n", signal);
    std::fflush(stdout);
    server.stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tact-kv: %s\n", e.what());
    return 1;
  }
  return 0;
}
