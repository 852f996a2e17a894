// A heart that beats every 10 ms until a one-shot timer tells it to give up:
// ctx.send_every, ctx.send_after, TimerHandle::cancel, and a Promise for the
// plain thread that waits for the end.
#include <chrono>
#include <cstdio>
#include <utility>

#include <tact/tact.hpp>

using namespace std::chrono_literals;

struct Beat {};
struct GiveUp {};

class Heart {
 public:
  explicit Heart(tact::Promise<int> done) : done_(std::move(done)) {}
  void on_start(tact::Context<Heart>& ctx) {
    (void)ctx.send_after(105ms, ctx.self(), GiveUp{});  // fire and forget
    beat_ = ctx.send_every(10ms, ctx.self(), Beat{});  // until cancelled, or Heart stops
  }
  void handle(Beat) { ++beats_; }
  void handle(GiveUp, tact::Context<Heart>& ctx) {
    beat_.cancel();  // no Beat is delivered after this returns
    done_.set_value(beats_);
    ctx.stop();
  }

 private:
  tact::TimerHandle beat_;
  tact::Promise<int> done_;
  int beats_ = 0;
};

int main() {
  tact::Runtime rt;
  auto [promise, reply] = tact::Promise<int>::make();
  auto heart = rt.spawn<Heart>(std::move(promise));
  const int beats = reply.get();
  std::printf("%d beats before giving up\n", beats);
  rt.shutdown();
  // Never early, and in deadline order: the beats started after GiveUp's 105 ms
  // did, so at most 10 of them (10 ms apart) come first. A busy machine may skip
  // some (a late timer thread delivers once and skips the missed beats).
  return beats <= 10 ? 0 : 1;
}
