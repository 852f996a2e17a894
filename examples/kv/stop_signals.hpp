// StopSignals: SIGTERM/SIGINT as a file descriptor (signalfd), so nothing runs
// in a signal handler. Construct it on the main thread before any other thread
// starts: the blocked mask is inherited, so the signals wait for wait() instead of
// landing on a random thread. Also ignores SIGPIPE (a client that vanished
// mid-reply is an EPIPE to handle, not a reason to die).
#pragma once

namespace kv {

class StopSignals {
 public:
  StopSignals();  // throws std::system_error
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Blocks until SIGTERM or SIGINT; returns which.
  int wait();

 private:
  int fd_ = -1;
};

}  // namespace kv
