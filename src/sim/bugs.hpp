// Re-introduced historical races (issue 17's proof that the simulation finds bugs).
// Code compiled with TACT_SIM_BUGS asks bug_on(b) at the place a historical race was
// fixed and, when the running test enabled b, takes the old path. Only two library
// copies are compiled so: `tact_sim_bugs` (test/sim, under the simulation) and
// `tact_bugs` (test/CMakeLists.txt, on real threads, for the TSan runs of
// scripts/bug_table.sh); never a normal build. The default is kNone. Needs no
// simulation: this header stands alone (sim.hpp includes it).
#pragma once

namespace tact::sim {

enum class Bug : unsigned {
  kNone = 0,
  kQuiescentFlagsFirst,          // 636929c: quiescent() read the idle flags before the queues
  kWokenWorkerStillSearching,    // 70fa179: a woken worker ran its task counted as searching
  kDequeRelaxedBottomStore,      // 0b597b5: pop()'s relaxed stores of bottom_
  kInterleavedResumeRejectedEarly,  // c3a95e2: a resume rejected by the publisher, not the runner
  kShutdownIgnoresDriverTurn,    // 8863d70: quiescent() did not count a Driver's running turn
};
void set_bug(Bug bug) noexcept;
bool bug_on(Bug bug) noexcept;

// The bug a name selects ("quiescent_flags_first", ...; the enumerators without the
// k, in snake case), kNone for "" or "none"; false for an unknown name.
bool bug_from_name(const char* name, Bug& out) noexcept;

}  // namespace tact::sim
