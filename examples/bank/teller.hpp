// The actor each bank node exposes to clients under kTellerName (a queue
// group: a client's request goes to any one node). It asks the account,
// wherever the account runs, and answers when the account has.
#pragma once

#include <cstdint>
#include <exception>
#include <utility>

#include <tact/nats/durable.hpp>
#include <tact/nats/nats.hpp>
#include <tact/tact.hpp>

#include "account.hpp"

namespace bank {

class Teller {
 public:
  using remote_messages = tact::nats::messages<Move, Read>;

  // Clients only name the type (for lookup): they never build one.
  explicit Teller(tact::nats::DurableHost* host) : host_(host) {}

  // The account's balance after the move. The answer is delegated: a teller
  // waits for no account, so an account that is failing over holds up only
  // the requests for it.
  tact::Delegated<std::int64_t> handle(Move m, tact::Context<Teller>& ctx) {
    auto account = host_->get<Account>(m.account);
    auto reply = m.delta >= 0 ? account.ask(Deposit{m.delta}, std::move(m.op))
                              : account.ask(Withdraw{-m.delta}, std::move(m.op));
    forward(std::move(reply), ctx.promise<std::int64_t>());
    return {};
  }
  tact::Delegated<std::int64_t> handle(Read r, tact::Context<Teller>& ctx) {
    forward(host_->get<Account>(r.account).ask(Balance{}), ctx.promise<std::int64_t>());
    return {};
  }

 private:
  static void forward(tact::Reply<std::int64_t> reply, tact::Promise<std::int64_t> promise) {
    reply.then([promise = std::move(promise)](tact::Outcome<std::int64_t> outcome) mutable {
      if (outcome.has_value()) {
        promise.set_value(outcome.value());
      } else {
        promise.set_error(outcome.error());
      }
    });
  }

  tact::nats::DurableHost* host_;
};

}  // namespace bank
