// A pool of order checkers, a topic of price changes, and a Recipient that
// does not care which class answers (docs/routing.md).
#include <cstdint>
#include <cstdio>
#include <string>

#include <tact/tact.hpp>

struct Price {
  std::string symbol;
  std::int64_t cents;
};
struct Order {
  std::string symbol;
  std::int64_t qty;
};
struct Seen {
  using reply_type = std::int64_t;  // what ReplyRecipient<Seen> answers
};

// Any number of classes may handle Price: the topic only needs Recipient<Price>.
class Dashboard {
 public:
  void handle(const Price& p) { last_ = p.cents; ++seen_; }
  std::int64_t handle(Seen) const { return seen_; }

 private:
  std::int64_t last_ = 0;
  std::int64_t seen_ = 0;
};

class Checker {
 public:
  // Orders of one symbol always reach the same checker (consistent hash).
  bool handle(const Order& o) {
    total_ += o.qty;
    return total_ <= 1000;  // within this symbol's limit
  }

 private:
  std::int64_t total_ = 0;
};

int main() {
  tact::Runtime rt;

  tact::Topic<Price> prices(rt);
  auto dashboard = rt.spawn<Dashboard>();
  prices.subscribe(dashboard);
  prices.publish(Price{"ACME", 1250});
  prices.publish(Price{"INIT", 990});

  tact::ReplyRecipient<Seen> counter = dashboard;  // no Dashboard in its type
  const std::int64_t seen = counter.ask(Seen{}).get();

  tact::Pool checkers(rt, {.size = 4, .routing = tact::Routing::consistent_hash},
                      [] { return Checker(); }, [](const Order& o) { return o.symbol; });
  bool ok = true;
  for (int i = 0; i < 10; ++i) ok = checkers.ask(Order{"ACME", 100}).get() && ok;  // 1000: at the limit
  const bool over = !checkers.ask(Order{"ACME", 1}).get();  // the same checker saw all 1000

  std::printf("dashboard saw %lld prices; ACME within limit: %s; then over: %s\n",
              static_cast<long long>(seen), ok ? "yes" : "no", over ? "yes" : "no");
  rt.shutdown();
  return (seen == 2 && ok && over) ? 0 : 1;
}
