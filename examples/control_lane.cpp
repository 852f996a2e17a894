// The control lane: an urgent message overtakes a backlog, and a plain thread
// waits for the actor's stop with ref.stopped().
#include <cstdio>

#include <tact/tact.hpp>

struct Job {
  int n;
};
struct Quit {};  // sent with tell_urgent: handled before the jobs still queued

class Worker {
 public:
  void handle(Job) { ++done_; }
  void handle(Quit, tact::Context<Worker>& ctx) {
    std::printf("quit: %d of 100000 jobs done when it came\n", done_);
    ctx.stop();  // what is still queued becomes dead letters (so would ref.stop())
  }

 private:
  int done_ = 0;
};

int main() {
  tact::Runtime rt;
  auto worker = rt.spawn<Worker>();
  tact::Reply<tact::Down> stopped = worker.stopped();  // from this plain thread

  for (int i = 0; i < 100000; ++i) worker.tell(Job{i});
  worker.tell_urgent(Quit{});  // overtakes the jobs queued (after at most one budget of them)

  tact::Down down = stopped.get();  // blocks until the actor has stopped
  std::printf("stopped: %s\n", tact::to_string(down.reason));
  rt.shutdown();  // the rejected jobs are all counted by now
  std::printf("%llu jobs never ran (dead letters)\n",
              static_cast<unsigned long long>(rt.stats().dead_letters));
}
