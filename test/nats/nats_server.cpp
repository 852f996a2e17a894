#include "nats/nats_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace tact::test {

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("bind");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool wait_for_port(int port, int ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

pid_t start_process(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    // Dies with the test: a test process that aborts (a sanitizer report, a
    // watchdog) runs no destructor, and must not leave a server behind.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) std::_Exit(1);
    const int out = ::open(log.empty() ? "/dev/null" : log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out >= 0) {
      ::dup2(out, 1);
      ::dup2(out, 2);
    }
    ::execvp(args[0], args.data());
    std::_Exit(127);
  }
  return pid;
}

void stop_process(pid_t pid, int signal) {
  if (pid <= 0) return;
  ::kill(pid, signal);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

NatsServer::NatsServer(Options options)
    : port_(options.port != 0 ? options.port : free_loopback_port()),
      cluster_port_(options.cluster_port) {
  std::vector<std::string> argv{"nats-server", "-a", "127.0.0.1", "-p", std::to_string(port_)};
  if (cluster_port_ != 0) {
    argv.insert(argv.end(), {"--cluster_name", "tact-test", "--cluster",
                             "nats://127.0.0.1:" + std::to_string(cluster_port_)});
    std::string routes;
    for (int r : options.routes) {
      if (!routes.empty()) routes += ',';
      routes += "nats://127.0.0.1:" + std::to_string(r);
    }
    if (!routes.empty()) argv.insert(argv.end(), {"--routes", routes});
  }
  if (!options.name.empty()) argv.insert(argv.end(), {"-n", options.name});
  if (!options.store_dir.empty()) argv.insert(argv.end(), {"-js", "-sd", options.store_dir});
  pid_ = start_process(argv);
  if (!wait_for_port(port_, 10000)) {
    kill();
    throw std::runtime_error("nats-server did not start on port " + std::to_string(port_));
  }
}

NatsServer::~NatsServer() { kill(); }

void NatsServer::kill() {
  if (pid_ > 0) stop_process(pid_, SIGKILL);
  pid_ = -1;
}

std::string NatsServer::url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

}  // namespace tact::test
