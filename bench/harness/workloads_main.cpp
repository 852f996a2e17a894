#include "harness/workloads_main.hpp"

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace workloads {
namespace {

int len(std::string_view s) { return static_cast<int>(s.size()); }

const Workload* find_workload(std::span<const Workload> workloads, std::string_view name) {
  for (const Workload& w : workloads) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

void usage(std::FILE* out, std::span<const Workload> workloads) {
  const ProgramInfo& p = program();
  std::fprintf(out,
               "usage: %.*s <workload>|all [--workers N] [--scale F] [--timeout S] [--metrics on|off]\n"
               "\n"
               "Runs the canonical actor workloads on %.*s, prints one line per figure:\n"
               "  RESULT workload=<name> framework=%.*s metric=<m> value=<v> unit=<u>\n"
               "verifies each result and exits non-zero when one is wrong.\n"
               "\n"
               "workloads:\n",
               len(p.name), p.name.data(), len(p.runs_on), p.runs_on.data(), len(p.framework),
               p.framework.data());
  for (const Workload& w : workloads) {
    std::fprintf(out, "  %-10.*s %.*s\n", len(w.name), w.name.data(), len(w.about), w.about.data());
  }
  std::fprintf(out,
               "  %-10s each of the above once, each in a fresh process\n"
               "\n"
               "options:\n"
               "  --workers N   %.*s\n"
               "  --scale F     multiply iteration counts by F, e.g. 0.01 for a quick check\n"
               "                (default 1: the counts of WORKLOADS.md)\n"
               "  --timeout S   a workload not done after S seconds fails (default 120)\n"
               "  --metrics on|off  the framework's own metrics (default on; tact: Config::metrics)\n"
               "  --help        this text\n",
               "all", len(p.workers_help), p.workers_help.data());
}

[[noreturn]] void usage_error(const std::string& what) {
  complain("%s (see --help)", what.c_str());
  std::exit(2);
}

// ---- the watchdog: a bug must fail the run, never hang it ------------------------------

// Armed for the whole of one workload (runtime or actor system shutdown included).
// The workloads wait for their final replies with the same deadline and fail with a
// precise message; this catches what they cannot (a blocking call that never returns).
class Watchdog {
 public:
  Watchdog(std::string_view workload, int timeout_s)
      : thread_([this, workload, timeout_s] {
          std::unique_lock<std::mutex> lock(mutex_);
          const auto grace = std::chrono::seconds(timeout_s + 15);
          if (!cv_.wait_for(lock, grace, [this] { return disarmed_; })) {
            std::fflush(stdout);
            complain("%.*s: did not finish within %d s: hung (a lost message or a deadlock?); "
                     "exiting",
                     len(workload), workload.data(), timeout_s + 15);
            std::fflush(stderr);
            std::_Exit(3);
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      disarmed_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool disarmed_ = false;
  std::thread thread_;  // last: starts once the fields above exist
};

int run_one(const Workload& w, const Options& opts) {
  try {
    const Watchdog watchdog(w.name, opts.timeout_s);
    w.run(opts);
  } catch (const std::exception& e) {
    complain("%.*s: error: %s", len(w.name), w.name.data(), e.what());
    return 1;
  }
  return 0;
}

// ---- all: each workload in a child process ---------------------------------------------

std::string self_path(const char* argv0) {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n > 0) return std::string(buf, static_cast<std::size_t>(n));
  return argv0;
}

std::string format_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

// Runs `self <workload> <options>` and waits for it (at most its own watchdog's
// time plus a margin; a child past that is killed). Returns its exit status.
int run_child(const std::string& self, const Workload& w, const Options& opts) {
  std::vector<std::string> args = {self,
                                   std::string(w.name),
                                   "--workers",
                                   std::to_string(opts.workers),
                                   "--scale",
                                   format_double(opts.scale),
                                   "--timeout",
                                   std::to_string(opts.timeout_s),
                                   "--metrics",
                                   opts.metrics ? "on" : "off"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    complain("fork: %s", std::strerror(errno));
    return 1;
  }
  if (pid == 0) {
    ::execv(self.c_str(), argv.data());
    complain("exec %s: %s", self.c_str(), std::strerror(errno));
    std::_Exit(127);
  }

  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(opts.timeout_s + 60);
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) {
        complain("%.*s: killed by signal %d (%s)", len(w.name), w.name.data(), WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
      }
      return 1;
    }
    if (done < 0 && errno != EINTR) {
      complain("waitpid: %s", std::strerror(errno));
      return 1;
    }
    if (std::chrono::steady_clock::now() > limit) {
      complain("%.*s: child %d still running past its watchdog; killing it", len(w.name),
               w.name.data(), static_cast<int>(pid));
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int run_all(const char* argv0, const Options& opts, std::span<const Workload> workloads) {
  const std::string self = self_path(argv0);
  std::vector<std::string_view> failed;
  for (const Workload& w : workloads) {
    if (run_child(self, w, opts) != 0) failed.push_back(w.name);
  }
  if (failed.empty()) {
    complain("all %zu workloads verified", workloads.size());
    return 0;
  }
  std::string names;
  for (auto name : failed) {
    names += ' ';  // (" " + std::string(name) trips GCC 12's -Wrestrict false positive)
    names += name;
  }
  complain("FAILED:%s", names.c_str());
  return 1;
}

// ---- arguments --------------------------------------------------------------------------

double parse_number(std::string_view option, const char* text, double min) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text, &end);
  if (end == text || *end != '\0' || errno != 0 || !(v >= min)) {
    char shown[32];
    std::snprintf(shown, sizeof(shown), "%g", min);
    usage_error(std::string(option) + ": expected a number >= " + shown + ", not '" + text + "'");
  }
  return v;
}

}  // namespace

int run_workloads_main(int argc, char** argv, const ProgramInfo& info,
                       std::span<const Workload> workloads) {
  set_program(info);
  Options opts;
  opts.workers = std::max(1U, std::thread::hardware_concurrency());
  std::string_view name;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage_error(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      usage(stdout, workloads);
      return 0;
    } else if (arg == "--workers") {
      opts.workers = static_cast<std::size_t>(parse_number(arg, value(), 1));
    } else if (arg == "--scale") {
      opts.scale = parse_number(arg, value(), 1e-9);
    } else if (arg == "--timeout") {
      opts.timeout_s = static_cast<int>(parse_number(arg, value(), 1));
    } else if (arg == "--metrics") {
      const std::string_view on_off = value();
      if (on_off != "on" && on_off != "off") usage_error("--metrics takes on or off");
      opts.metrics = on_off == "on";
    } else if (!arg.empty() && arg[0] == '-') {
      usage_error("unknown option '" + std::string(arg) + "'");
    } else if (name.empty()) {
      name = arg;
    } else {
      usage_error("one workload (or all) at a time, not '" + std::string(name) + "' and '" +
                  std::string(arg) + "'");
    }
  }
  if (name.empty()) usage_error("which workload? (or all)");

  if (name == "all") return run_all(argv[0], opts, workloads);
  const Workload* w = find_workload(workloads, name);
  if (w == nullptr) usage_error("no workload named '" + std::string(name) + "'");
  return run_one(*w, opts);
}

}  // namespace workloads
