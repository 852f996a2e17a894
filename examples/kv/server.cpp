#include "server.hpp"

#if defined(TACT_KV_METRICS_HTTP)
#include <tact/metrics_http.hpp>
#endif

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <string>
#include <system_error>

namespace kv {
namespace {

tact::Config runtime_config(const Options& options) {
  tact::Config config;
  config.workers = options.workers;
  config.spin_before_park = std::chrono::microseconds(options.spin_us);
  return config;
}

int listen_on(const Options& options, std::uint16_t& port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(options.port);
  if (::inet_pton(AF_INET, options.bind.c_str(), &addr.sin_addr) != 1) {
    throw std::system_error(EINVAL, std::generic_category(), "bad --bind address " + options.bind);
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, SOMAXCONN) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::system_error(error, std::generic_category(),
                            "listen on " + options.bind + ":" + std::to_string(options.port));
  }
  port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

// --metrics-port: tact::metrics::HttpEndpoint (target tact::metrics_http), when
// tact-kv is built with it.
struct MetricsEndpoint {
#if defined(TACT_KV_METRICS_HTTP)
  MetricsEndpoint(const tact::Runtime& runtime, const std::string& listen) : endpoint(runtime, listen) {}
  tact::metrics::HttpEndpoint endpoint;
  std::uint16_t port() const noexcept { return endpoint.port(); }
#else
  MetricsEndpoint(const tact::Runtime&, const std::string&) {
    throw std::runtime_error("--metrics-port: this tact-kv was built without tact::metrics_http (civetweb)");
  }
  std::uint16_t port() const noexcept { return 0; }
#endif
};

Server::Server(const Options& options) : runtime_(runtime_config(options)) {
  context_.limits = options.limits;
  context_.io_spin = std::chrono::microseconds(options.io_spin_us);
  context_.io_poll = std::chrono::microseconds(options.io_poll_us);
  context_.runtime = &runtime_;
  context_.io_runs_shards = options.io_runs_shards;
  context_.shards = make_shard_pool(runtime_, options.shards);
  if (options.metrics_port >= 0) {
    metrics_ = std::make_unique<MetricsEndpoint>(runtime_, options.bind + ":" + std::to_string(options.metrics_port));
  }
  context_.listen_fd = listen_on(options, port_);
  for (std::size_t i = 0; i < options.io_threads; ++i) {
    io_threads_.push_back(std::make_unique<IoThread>(context_));
  }
}

std::uint16_t Server::metrics_port() const noexcept { return metrics_ ? metrics_->port() : 0; }

Server::~Server() {
  stop();
  ::close(context_.listen_fd);
}

void Server::start() {
  for (auto& io : io_threads_) io->start();
}

void Server::stop() {
  for (auto& io : io_threads_) io->request_stop();
  for (auto& io : io_threads_) io->join();
  metrics_.reset();  // before the runtime it reads
  runtime_.shutdown();
}

}  // namespace kv
