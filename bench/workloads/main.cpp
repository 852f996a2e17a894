// tact-workloads: the canonical actor workloads of WORKLOADS.md, run on tact.
//
//   tact-workloads <workload>|all [--workers N] [--scale F] [--timeout S]
//
// Prints one `RESULT workload=... framework=tact metric=... value=... unit=...`
// line per figure on stdout (nothing else goes to stdout), verifies every result
// and exits non-zero, saying why on stderr, when one is wrong or a workload does
// not finish in time. `all` runs each workload once, each in a fresh process (this
// program re-executed with the workload's name), so peak RSS and memory growth are
// per workload. The CLI, watchdog and `all` are bench/harness's (workloads_main.hpp).
#include "common.hpp"
#include "harness/workloads_main.hpp"

int main(int argc, char** argv) {
  constexpr workloads::ProgramInfo kProgram{
      .name = "tact-workloads",
      .framework = "tact",
      .runs_on = "tact",
      .workers_help = "runtime worker threads (default: hardware concurrency)",
  };
  return workloads::run_workloads_main(argc, argv, kProgram, workloads::kCanonicalWorkloads);
}
