// Behaviour switching: ctx.become(Behaviour<A>{...}) and ctx.unbecome().
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <utility>

#include <tact/tact.hpp>

#include "support/runtime_helpers.hpp"
#include "support/watchdog.hpp"

namespace {

using tact::test::Watchdog;
using tact::test::workers;

struct Knock {};
struct Lock {};
struct Unlock {
  std::string key;
};
struct Visits {};
struct Explode {};

class Door {
 public:
  std::string handle(Knock) {
    ++visits_;
    return "come in";
  }
  bool handle(Lock, tact::Context<Door>& ctx) {
    ctx.become(locked());
    return true;
  }
  bool handle(Unlock) { return false; }  // not locked: nothing to do
  int handle(Visits) const { return visits_; }
  int handle(Explode) { return 0; }

 private:
  tact::Behaviour<Door> locked() {
    return tact::Behaviour<Door>{
        [](Knock) { return std::string("go away"); },
        [](const Unlock& u, tact::Context<Door>& ctx) {
          if (u.key != "secret") return false;
          ctx.unbecome();
          return true;
        },
        [](Explode) -> int { throw std::runtime_error("boom"); }};
  }
  int visits_ = 0;
};

TEST(Behaviour, BecomeSwitchesTheHandlersAndUnbecomeSwitchesBack) {
  Watchdog dog("behaviour switch");
  tact::Runtime rt(workers(2));
  auto door = rt.spawn<Door>();
  EXPECT_EQ(door.ask(Knock{}).get(), "come in");
  EXPECT_TRUE(door.ask(Lock{}).get());
  EXPECT_EQ(door.ask(Knock{}).get(), "go away");
  EXPECT_FALSE(door.ask(Unlock{"wrong"}).get());
  EXPECT_EQ(door.ask(Knock{}).get(), "go away");
  EXPECT_TRUE(door.ask(Unlock{"secret"}).get());
  EXPECT_EQ(door.ask(Knock{}).get(), "come in");
  EXPECT_FALSE(door.ask(Unlock{"secret"}).get());  // A's own handler again
}

TEST(Behaviour, MessagesTheBehaviourDoesNotListGoToTheActorsOwnHandlers) {
  tact::Runtime rt(workers(1));
  auto door = rt.spawn<Door>();
  (void)door.ask(Knock{}).get();
  (void)door.ask(Lock{}).get();
  (void)door.ask(Knock{}).get();        // the behaviour's: not counted
  EXPECT_EQ(door.ask(Visits{}).get(), 1);  // A's own handler, state intact
}

TEST(Behaviour, ABecomeTakesEffectFromTheNextMessageInOrder) {
  tact::Runtime rt(workers(2));
  auto door = rt.spawn<Door>();
  // Queued back to back by one sender: the Knock right after the Lock is
  // already handled by the locked behaviour, the one before it is not.
  auto before = door.ask(Knock{});
  auto lock = door.ask(Lock{});
  auto after = door.ask(Knock{});
  EXPECT_EQ(before.get(), "come in");
  EXPECT_TRUE(lock.get());
  EXPECT_EQ(after.get(), "go away");
}

TEST(Behaviour, AThrowingBehaviourHandlerFailsTheActor) {
  tact::Runtime rt(workers(1));
  auto door = rt.spawn<Door>();
  (void)door.ask(Lock{}).get();
  EXPECT_THROW((void)door.ask(Explode{}).get(), tact::HandlerFailed);
  EXPECT_THROW((void)door.ask(Knock{}).get(), tact::ActorStopped);
}

struct Ask {};
class Starter {
 public:
  void on_start(tact::Context<Starter>& ctx) {
    ctx.become(tact::Behaviour<Starter>{[](Ask) { return 2; }});
  }
  int handle(Ask) { return 1; }
};

TEST(Behaviour, OnStartMayChooseTheFirstBehaviour) {
  tact::Runtime rt(workers(1));
  auto s = rt.spawn<Starter>();
  EXPECT_EQ(s.ask(Ask{}).get(), 2);
}

struct Later {};
class Delegating {
 public:
  int handle(Later) { return 0; }
  void on_start(tact::Context<Delegating>& ctx) {
    ctx.become(tact::Behaviour<Delegating>{[this](Later, tact::Context<Delegating>& c) {
      kept_ = c.promise<int>();
      kept_.set_value(7);
      return tact::Delegated<int>{};
    }});
  }

 private:
  tact::Promise<int> kept_;
};

TEST(Behaviour, ABehaviourHandlerMayDelegateItsReply) {
  tact::Runtime rt(workers(1));
  auto d = rt.spawn<Delegating>();
  EXPECT_EQ(d.ask(Later{}).get(), 7);
}

}  // namespace
