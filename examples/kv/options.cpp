#include "options.hpp"

#include <charconv>
#include <limits>
#include <string_view>

namespace kv {
namespace {

bool parse_count(std::string_view text, std::size_t min, std::size_t max, std::size_t& out) {
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return false;
  }
  out = value;
  return true;
}

}  // namespace

std::string usage() {
  return "usage: tact-kv [options]\n"
         "A Redis-protocol (RESP2) key-value server whose data lives in tact actors.\n"
         "\n"
         "  --port N          TCP port (default 6380; 0: any free port, printed at start-up)\n"
         "  --bind ADDR       IPv4 address to listen on (default 127.0.0.1)\n"
         "  --io-threads N    epoll threads that own the client connections (default 1)\n"
         "  --shards N        shard actors, each owning a slice of the keys (default: one\n"
         "                    per worker)\n"
         "  --workers N       tact worker threads running the shards (default 1)\n"
         "  --metrics-port N  serve GET /metrics (Prometheus text) on this port (0: any free one)\n"
         "  --spin-us N       how long an idle tact worker spins before sleeping (default 50)\n"
         "  --io-spin-us N    how long an I/O thread waiting for shard answers spins before\n"
         "                    sleeping (default 0)\n"
         "  --io-poll-us N    how long an idle I/O thread keeps polling its sockets before\n"
         "                    sleeping in epoll_wait (default 50; 0: sleep at once). Saves\n"
         "                    the wake-up of a pipelining client's next request, at the\n"
         "                    price of that much CPU after each quiet moment\n"
         "  --io-runs-shards 1|0  1 (default): an I/O thread runs the shard actors its\n"
         "                    requests wake, right after sending (tact::Driver); no worker is\n"
         "                    woken for them. 0: the tact workers run every shard turn\n"
         "  --max-bulk N      largest key or value in bytes (default 67108864)\n"
         "  --max-args N      most arguments in one request (default 65536)\n"
         "  --help            this text\n"
         "\n"
         "Prints 'tact-kv listening on ADDR:PORT' once it accepts clients; SIGTERM or\n"
         "SIGINT stops it: no new clients, requests already read are answered, exit 0.\n";
}

bool parse_options(int argc, char** argv, Options& options, std::string& error) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      options.help = true;
      continue;
    }
    std::string_view value;
    const std::size_t eq = arg.find('=');
    if (eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      error = "missing value for " + std::string(arg);
      return false;
    }
    std::size_t n = 0;
    constexpr std::size_t kMany = 1024;
    bool ok = true;
    if (arg == "--bind") {
      options.bind = std::string(value);
    } else if (arg == "--port") {
      ok = parse_count(value, 0, 65535, n);
      options.port = static_cast<std::uint16_t>(n);
    } else if (arg == "--io-threads") {
      ok = parse_count(value, 1, kMany, options.io_threads);
    } else if (arg == "--shards") {
      ok = parse_count(value, 1, kMany, options.shards);
    } else if (arg == "--workers") {
      ok = parse_count(value, 1, kMany, options.workers);
    } else if (arg == "--spin-us") {
      ok = parse_count(value, 0, 1'000'000, options.spin_us);
    } else if (arg == "--io-spin-us") {
      ok = parse_count(value, 0, 1'000'000, options.io_spin_us);
    } else if (arg == "--io-poll-us") {
      ok = parse_count(value, 0, 1'000'000, options.io_poll_us);
    } else if (arg == "--io-runs-shards") {
      ok = parse_count(value, 0, 1, n);
      options.io_runs_shards = n == 1;
    } else if (arg == "--metrics-port") {
      ok = parse_count(value, 0, 65535, n);
      options.metrics_port = static_cast<int>(n);
    } else if (arg == "--max-bulk") {
      ok = parse_count(value, 1, std::size_t{1} << 32, options.limits.max_bulk);
    } else if (arg == "--max-args") {
      ok = parse_count(value, 1, std::size_t{1} << 24, options.limits.max_args);
    } else {
      error = "unknown option " + std::string(arg) + " (see --help)";
      return false;
    }
    if (!ok) {
      error = "bad value '" + std::string(value) + "' for " + std::string(arg);
      return false;
    }
  }
  if (options.shards == 0) options.shards = options.workers;
  return true;
}

}  // namespace kv
