// The durable account the durable tests (and their helper process) share.
#pragma once

#include <cstdint>
#include <stdexcept>

#include "tact/nats/durable.hpp"

namespace tact::test::durable_account {

struct Deposited {
  std::int64_t amount;
  MSGPACK_DEFINE(amount)
};
struct Deposit {
  std::int64_t amount;
  MSGPACK_DEFINE(amount)
};
struct DepositThenFail {
  std::int64_t amount;
  MSGPACK_DEFINE(amount)
};
struct Fail {};
struct Balance {};

class Account {
 public:
  using durable_commands = tact::nats::messages<Deposit, DepositThenFail, Fail, Balance>;
  using durable_events = tact::nats::events<Deposited>;
  std::int64_t handle(Deposit d, tact::nats::Recorder<Account>& r) {
    r.record(Deposited{d.amount});
    return balance;
  }
  std::int64_t handle(DepositThenFail d, tact::nats::Recorder<Account>& r) {
    r.record(Deposited{d.amount});
    throw std::runtime_error("after recording");
  }
  std::int64_t handle(Fail, tact::nats::Recorder<Account>&) { throw std::runtime_error("refused"); }
  std::int64_t handle(Balance, tact::nats::Recorder<Account>&) { return balance; }
  void apply(const Deposited& e) { balance += e.amount; }

  std::int64_t balance = 0;
  MSGPACK_DEFINE(balance)
};

}  // namespace tact::test::durable_account
