// The main() every C++ workloads program shares:
//
//   <program> <workload>|all [--workers N] [--scale F] [--timeout S]
//
// Runs one workload under a watchdog, or (`all`) each of them once, each in a fresh
// process (this program re-executed with the workload's name), so peak RSS and
// memory growth are per workload. Prints nothing on stdout itself (the workloads
// print their RESULT lines); exits 0 when every workload verified, 1 when one
// failed, 2 on a usage error, 3 when a workload hung.
#pragma once

#include <span>
#include <string_view>

#include "harness/harness.hpp"

namespace workloads {

struct Workload {
  std::string_view name;
  void (*run)(const Options&);
  std::string_view about;
};

// The canonical workloads of WORKLOADS.md and fanin_many (fanin split into
// independent pipelines: does the runtime run them in parallel? issue 20), in the
// order `all` runs them; each program defines the run_ functions (harness.hpp).
inline constexpr Workload kCanonicalWorkloads[] = {
    {"pingpong", &run_pingpong, "1,000,000 ask/reply round trips between two actors"},
    {"ask_ext", &run_ask_ext, "200,000 blocking asks from a plain thread"},
    {"fanin", &run_fanin, "4 producers tell 10,000,000 Inc to one counter"},
    {"fanin_many", &run_fanin_many, "8 fan-ins of 4 producers, 10,000,000 Inc in all"},
    {"ring", &run_ring, "a token makes 10,000,000 hops round 503 actors"},
    {"skynet", &run_skynet, "a 10-ary tree of 1,111,111 actors sums its leaves"},
    {"pairs", &run_pairs, "1,000 pairs exchange 2,000 messages each"},
    {"idle_mem", &run_idle_mem, "1,000,000 idle actors: memory and spawn time"},
};

// The whole of main(): parses the arguments, runs what they ask for and returns the
// exit status (or exits: 2 on a usage error, 3 from the watchdog).
int run_workloads_main(int argc, char** argv, const ProgramInfo& info,
                       std::span<const Workload> workloads);

}  // namespace workloads
