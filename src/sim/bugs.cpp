#include "sim/bugs.hpp"

#include <cstring>

namespace tact::sim {

namespace {
// Set once by a test before its runtime starts (or in a forked child before the
// simulation runs); read by the runtime's threads after they start.
Bug g_bug = Bug::kNone;

struct Named {
  const char* name;
  Bug bug;
};
constexpr Named kNames[] = {
    {"none", Bug::kNone},
    {"quiescent_flags_first", Bug::kQuiescentFlagsFirst},
    {"woken_worker_still_searching", Bug::kWokenWorkerStillSearching},
    {"deque_relaxed_bottom_store", Bug::kDequeRelaxedBottomStore},
    {"interleaved_resume_rejected_early", Bug::kInterleavedResumeRejectedEarly},
    {"shutdown_ignores_driver_turn", Bug::kShutdownIgnoresDriverTurn},
};
}  // namespace

void set_bug(Bug bug) noexcept { g_bug = bug; }
bool bug_on(Bug bug) noexcept { return g_bug == bug; }

bool bug_from_name(const char* name, Bug& out) noexcept {
  if (name == nullptr || *name == '\0') {
    out = Bug::kNone;
    return true;
  }
  for (const Named& n : kNames) {
    if (std::strcmp(n.name, name) == 0) {
      out = n.bug;
      return true;
    }
  }
  return false;
}

}  // namespace tact::sim
