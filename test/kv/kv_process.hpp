// KvProcess: a tact-kv server started for one test, on a free loopback port
// (--port 0; the port is read from its "listening on" line). Its destructor kills
// it if the test did not stop it.
#pragma once

#include <string>
#include <vector>

#include <sys/types.h>

namespace kv::test {

class KvProcess {
 public:
  // Starts TACT_KV_BINARY with `args` plus --port 0; fails the test (throws) if it
  // does not print its port within a few seconds.
  explicit KvProcess(std::vector<std::string> args = {});
  ~KvProcess();
  KvProcess(const KvProcess&) = delete;
  KvProcess& operator=(const KvProcess&) = delete;

  int port() const noexcept { return port_; }
  pid_t pid() const noexcept { return pid_; }
  bool running();
  // Sends `signal` and waits (bounded) for the exit; returns the exit status, or
  // -1 if it died of a signal or did not exit in time.
  int stop(int signal);
  // Resident memory, from /proc/<pid>/status (kB).
  long rss_kb() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int stdout_fd_ = -1;
};

}  // namespace kv::test
