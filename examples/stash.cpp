// A protocol with states: a database session that cannot serve queries until
// it is connected. While connecting, it stashes what arrives (asks stay
// pending); once connected it switches behaviour and unstashes, and the waiting
// queries are answered in the order they came, before any later mail.
#include <cstdio>
#include <string>
#include <vector>

#include <tact/tact.hpp>

struct Query {
  std::string sql;
};
struct Connected {
  std::string server;
};
struct Disconnected {};

class Session {
 public:
  // Starts "connecting": a real session would start its handshake here.
  void on_start(tact::Context<Session>& ctx) { ctx.become(connecting()); }

  // Connected: the class's own handlers.
  std::string handle(Query q) { return server_ + " ran: " + q.sql; }
  void handle(Connected) {}
  void handle(Disconnected, tact::Context<Session>& ctx) { ctx.become(connecting()); }

 private:
  // Connecting: queries wait in the stash (the handler gives its message back);
  // the ask's reply goes with it, still pending. What this handler returns
  // answers nobody.
  tact::Behaviour<Session> connecting() {
    return tact::Behaviour<Session>{
        [](Query q, tact::Context<Session>& ctx) {
          ctx.stash(std::move(q));
          return std::string();
        },
        [this](Connected c, tact::Context<Session>& ctx) {
          server_ = c.server;
          ctx.unbecome();      // from the next message on: the connected handlers
          ctx.unstash_all();   // the stashed queries are those next messages
        }};
  }

  std::string server_;
};

int main() {
  tact::Runtime rt;
  auto session = rt.spawn<Session>();

  std::vector<tact::Reply<std::string>> answers;
  answers.push_back(session.ask(Query{"select 1"}));  // stashed
  answers.push_back(session.ask(Query{"select 2"}));  // stashed
  std::printf("before the connection: first answer ready? %s\n", answers[0].ready() ? "yes" : "no");

  session.tell(Connected{"db-1"});
  answers.push_back(session.ask(Query{"select 3"}));  // queued after: answered after 1 and 2

  for (auto& answer : answers) std::printf("%s\n", answer.get().c_str());

  session.tell(Disconnected{});
  auto late = session.ask(Query{"select 4"});  // stashed until the next Connected
  session.tell(Connected{"db-2"});
  std::printf("%s\n", late.get().c_str());
  rt.shutdown();
}
