// The bank's durable account, and the commands its nodes take from clients.
// Shared by bank_node (which runs accounts), bank_client (which asks) and the
// fault test's audit (which reads every account's journal at the end).
#pragma once

#include <cstdint>
#include <string>

#include <tact/nats/durable.hpp>

namespace bank {

// The one event: money moved in (delta > 0) or out (delta < 0).
struct Moved {
  std::int64_t delta;
  MSGPACK_DEFINE(delta)
};

// Commands to an account. An account may go below zero: the example is about
// money never appearing or vanishing, not about credit.
struct Deposit {
  std::int64_t amount;
  MSGPACK_DEFINE(amount)
};
struct Withdraw {
  std::int64_t amount;
  MSGPACK_DEFINE(amount)
};
struct Balance {};

class Account {
 public:
  using durable_commands = tact::nats::messages<Deposit, Withdraw, Balance>;
  using durable_events = tact::nats::events<Moved>;

  // Each answers the balance after it.
  std::int64_t handle(Deposit d, tact::nats::Recorder<Account>& r) {
    r.record(Moved{d.amount});
    return balance;
  }
  std::int64_t handle(Withdraw w, tact::nats::Recorder<Account>& r) {
    r.record(Moved{-w.amount});
    return balance;
  }
  std::int64_t handle(Balance, tact::nats::Recorder<Account>&) { return balance; }
  void apply(const Moved& e) { balance += e.delta; }

  std::int64_t balance = 0;
  MSGPACK_DEFINE(balance)
};

// What a client sends a node (any node: they share a queue group): move
// `delta` on `account`, once, under the client's operation id. The node asks
// the account (wherever it runs) with `op` as the request id, so a client
// that retries after a timeout, through any node, never moves money twice.
struct Move {
  std::string account;
  std::string op;
  std::int64_t delta;
  MSGPACK_DEFINE(account, op, delta)
};
// Reads an account's balance (a read: recorded nowhere).
struct Read {
  std::string account;
  MSGPACK_DEFINE(account)
};

// The name every node exposes its teller under.
inline constexpr const char* kTellerName = "bank-teller";

}  // namespace bank
