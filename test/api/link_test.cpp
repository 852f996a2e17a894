// Links: an abnormal stop takes linked actors down (tact::LinkedExit), unless
// they trap exits (handle(tact::Exit)); a normal stop does not.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <tact/tact.hpp>

#include "support/down_log.hpp"
#include "support/runtime_helpers.hpp"

namespace {

using namespace std::chrono_literals;
using tact::test::DownLog;
using tact::test::DownRecorder;
using tact::test::eventually;
using tact::test::WatchIt;
using tact::test::workers;

struct Get {};
struct StopNow {};
struct Fail {};

class Node;
struct LinkTo {
  tact::ActorRef<Node> other;
};
struct UnlinkFrom {
  tact::ActorRef<Node> other;
};

class Node {
 public:
  int handle(Get) const { return 1; }
  void handle(StopNow, tact::Context<Node>& ctx) { ctx.stop(); }
  void handle(Fail) { throw std::runtime_error("node failed"); }
  void handle(LinkTo msg, tact::Context<Node>& ctx) { ctx.link(msg.other); }
  void handle(UnlinkFrom msg, tact::Context<Node>& ctx) { ctx.unlink(msg.other); }
};

// Traps exits: hears of linked stops, keeps running.
class Trapper {
 public:
  explicit Trapper(std::atomic<int>* exits) : exits_(exits) {}
  int handle(Get) const { return 2; }
  void handle(LinkTo msg, tact::Context<Trapper>& ctx) { ctx.link(msg.other); }
  void handle(tact::Exit exit) {
    last_reason_ = exit.reason;
    exits_->fetch_add(1);
  }
  tact::ExitReason handle(StopNow) const { return last_reason_; }

 private:
  std::atomic<int>* exits_;
  tact::ExitReason last_reason_ = tact::ExitReason::normal;
};

bool stopped(const tact::ActorRef<Node>& node) { return !node.tell(Get{}); }

TEST(Link, AFailureTakesTheLinkedActorDownWithLinkedExit) {
  tact::Runtime rt(workers(2));
  DownLog log;
  auto observer = rt.spawn<DownRecorder>(&log);
  auto a = rt.spawn<Node>();
  auto b = rt.spawn<Node>();
  observer.ask(WatchIt{a}).get();
  a.ask(LinkTo{b}).get();
  b.tell(Fail{});
  ASSERT_TRUE(eventually([&] { return log.size() == 1; }));
  tact::Down down = log.at(0);
  EXPECT_TRUE(down.who == a);
  EXPECT_EQ(down.reason, tact::ExitReason::failed);
  try {
    std::rethrow_exception(down.error);
  } catch (const tact::LinkedExit& e) {
    EXPECT_TRUE(e.who() == b);
    EXPECT_EQ(e.reason(), tact::ExitReason::failed);
    EXPECT_THROW(std::rethrow_exception(e.cause()), std::runtime_error);
  } catch (...) {
    ADD_FAILURE() << "expected tact::LinkedExit";
  }
}

TEST(Link, LinksWorkBothWays) {
  tact::Runtime rt(workers(2));
  auto a = rt.spawn<Node>();
  auto b = rt.spawn<Node>();
  a.ask(LinkTo{b}).get();
  a.tell(Fail{});  // the linking side fails: the other goes too
  EXPECT_TRUE(eventually([&] { return stopped(b); }));
}

TEST(Link, ANormalStopDoesNotTakeTheLinkedActorDown) {
  tact::Runtime rt(workers(2));
  auto a = rt.spawn<Node>();
  auto b = rt.spawn<Node>();
  a.ask(LinkTo{b}).get();
  b.ask(StopNow{}).get();
  ASSERT_TRUE(eventually([&] { return stopped(b); }));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(a.ask(Get{}).get(), 1);
}

TEST(Link, AnActorThatTrapsExitsReceivesExitAndKeepsRunning) {
  tact::Runtime rt(workers(2));
  std::atomic<int> exits{0};
  auto trapper = rt.spawn<Trapper>(&exits);
  auto failing = rt.spawn<Node>();
  auto stopping = rt.spawn<Node>();
  trapper.ask(LinkTo{failing}).get();
  trapper.ask(LinkTo{stopping}).get();
  failing.tell(Fail{});
  ASSERT_TRUE(eventually([&] { return exits.load() == 1; }));
  EXPECT_EQ(trapper.ask(StopNow{}).get(), tact::ExitReason::failed);
  stopping.tell(StopNow{});
  ASSERT_TRUE(eventually([&] { return exits.load() == 2; }));  // told of normal stops too
  EXPECT_EQ(trapper.ask(StopNow{}).get(), tact::ExitReason::normal);
}

TEST(Link, UnlinkCutsTheLink) {
  tact::Runtime rt(workers(2));
  auto a = rt.spawn<Node>();
  auto b = rt.spawn<Node>();
  a.ask(LinkTo{b}).get();
  a.ask(UnlinkFrom{b}).get();
  b.tell(Fail{});
  ASSERT_TRUE(eventually([&] { return stopped(b); }));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(a.ask(Get{}).get(), 1);
}

TEST(Link, LinkingToAFailedActorTakesTheLinkerDownAtOnce) {
  tact::Runtime rt(workers(2));
  auto a = rt.spawn<Node>();
  auto b = rt.spawn<Node>();
  b.tell(Fail{});
  ASSERT_TRUE(eventually([&] { return stopped(b); }));
  a.tell(LinkTo{b});
  EXPECT_TRUE(eventually([&] { return stopped(a); }));
}

TEST(Link, AFailureTravelsAlongAChain) {
  tact::Runtime rt(workers(2));
  std::vector<tact::ActorRef<Node>> chain;
  for (int i = 0; i < 5; ++i) chain.push_back(rt.spawn<Node>());
  for (std::size_t i = 0; i + 1 < 5; ++i) chain[i].ask(LinkTo{chain[i + 1]}).get();
  chain[4].tell(Fail{});
  for (const auto& node : chain) EXPECT_TRUE(eventually([&] { return stopped(node); }));
  EXPECT_EQ(rt.stats().actors_failed, 5u);
}

}  // namespace
