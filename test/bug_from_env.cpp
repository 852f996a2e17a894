// Linked into the bug-variant builds of the stress tests (test/CMakeLists.txt's
// tact_bugs, test/sim's tact_sim_bugs): TACT_BUG=<name> (src/sim/bugs.hpp)
// re-introduces that historical race for the whole run, set before main().
#include <cstdio>
#include <cstdlib>

#include "sim/bugs.hpp"

namespace {

const bool kBugSet = [] {
  const char* name = std::getenv("TACT_BUG");
  tact::sim::Bug bug = tact::sim::Bug::kNone;
  if (!tact::sim::bug_from_name(name, bug)) {
    std::fprintf(stderr, "TACT_BUG=%s: no such bug (see src/sim/bugs.hpp)\n", name);
    std::exit(2);
  }
  tact::sim::set_bug(bug);
  if (bug != tact::sim::Bug::kNone) std::fprintf(stderr, "[ bug ] re-introduced: %s\n", name);
  return true;
}();

}  // namespace
