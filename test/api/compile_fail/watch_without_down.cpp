// Must NOT compile: Watcher calls ctx.watch(ref) but has no handle(tact::Down).
// The ctest api_compile_fail_watch_without_down (check_compile_fail.cmake) expects
// the first error line to be tact's static_assert saying what to add.
//   0  the control: Watcher handles Down (the file must compile)
//   1  a watcher without handle(tact::Down)
#include <tact/tact.hpp>

#ifndef TACT_COMPILE_FAIL_CASE
#define TACT_COMPILE_FAIL_CASE 1
#endif

struct Target {
  int handle(int x) { return x; }
};

struct Watch {
  tact::ActorRef<Target> target;
};

class Watcher {
 public:
  void handle(Watch msg, tact::Context<Watcher>& ctx) { ctx.watch(msg.target); }
#if TACT_COMPILE_FAIL_CASE == 0
  void handle(tact::Down) {}
#endif
};

int main() {
  tact::Runtime rt;
  auto target = rt.spawn<Target>();
  rt.spawn<Watcher>().tell(Watch{target});
}
