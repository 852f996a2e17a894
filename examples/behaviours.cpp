// Two ways an actor decides how it treats its next message: its own state (a
// std::variant of states), and switching handler sets with ctx.become().
#include <cstdio>
#include <string>
#include <variant>

#include <tact/tact.hpp>

// -- 1. through its own state -------------------------------------------------------------
struct Coin {};
struct Push {};

// A turnstile: locked until a coin comes, then one push goes through.
class Turnstile {
 public:
  std::string handle(Coin) {
    state_ = Unlocked{};
    return "unlocked";
  }
  std::string handle(Push) {
    if (std::holds_alternative<Locked>(state_)) return "locked: insert a coin";
    state_ = Locked{};
    return "welcome";
  }

 private:
  struct Locked {};
  struct Unlocked {};
  std::variant<Locked, Unlocked> state_;
};

// -- 2. switching handler sets --------------------------------------------------------------
struct Knock {};
struct Lock {};
struct Unlock {
  std::string key;
};

class Door {
 public:
  std::string handle(Knock) { return "come in"; }
  void handle(Lock, tact::Context<Door>& ctx) { ctx.become(locked()); }
  bool handle(const Unlock&) { return true; }  // already open

 private:
  // Only what a locked door treats differently; other messages still reach
  // the handle() overloads above.
  static tact::Behaviour<Door> locked() {
    return tact::Behaviour<Door>{
        [](Knock) { return std::string("go away"); },
        [](const Unlock& u, tact::Context<Door>& ctx) {
          if (u.key != "secret") return false;
          ctx.unbecome();
          return true;
        }};
  }
};

int main() {
  tact::Runtime rt;
  auto gate = rt.spawn<Turnstile>();
  std::printf("%s\n", gate.ask(Push{}).get().c_str());
  std::printf("%s\n", gate.ask(Coin{}).get().c_str());
  std::printf("%s\n", gate.ask(Push{}).get().c_str());

  auto door = rt.spawn<Door>();
  std::printf("%s\n", door.ask(Knock{}).get().c_str());
  door.tell(Lock{});
  std::printf("%s\n", door.ask(Knock{}).get().c_str());
  Unlock key{"secret"};
  std::printf("unlocked: %d\n", door.ask(std::move(key)).get() ? 1 : 0);
  std::printf("%s\n", door.ask(Knock{}).get().c_str());
  const bool ok = door.ask(Knock{}).get() == "come in";
  rt.shutdown();
  return ok ? 0 : 1;
}
