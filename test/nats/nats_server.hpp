// NatsServer: a nats-server process of the test's own, on a free loopback port
// (127.0.0.1 only), stopped by its PID when the object goes (only the process
// this object started is ever signalled). A cluster is three of them with routes.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace tact::test {

// A free TCP port on 127.0.0.1 (bound, then released: free for a moment).
int free_loopback_port();

class NatsServer {
 public:
  struct Options {
    int port = 0;          // 0: a free one
    int cluster_port = 0;  // with routes: this server's route port (0: none)
    std::vector<int> routes;  // other servers' route ports
    std::string name;
    std::string store_dir;  // non-empty: JetStream on, its files there
  };
  NatsServer() : NatsServer(Options{}) {}
  explicit NatsServer(Options options);
  ~NatsServer();
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  std::string url() const;
  int port() const { return port_; }
  int cluster_port() const { return cluster_port_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  // SIGKILL, and reap. Idempotent.
  void kill();

 private:
  int port_;
  int cluster_port_;
  pid_t pid_ = -1;
};

// Starts `argv` as a child process (stdout/stderr to `log`, or /dev/null when
// empty); returns its PID. The caller kills and reaps it (stop_process); if the
// caller's thread dies first, the child gets SIGKILL (PR_SET_PDEATHSIG).
pid_t start_process(const std::vector<std::string>& argv, const std::string& log = "");
// SIGKILL (or `signal`) the PID and reap it.
void stop_process(pid_t pid, int signal = 9);
// True once 127.0.0.1:port accepts a connection (polls up to `ms`).
bool wait_for_port(int port, int ms);

}  // namespace tact::test
