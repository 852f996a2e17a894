// The actors and messages the nats tests share with their helper process.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tact/nats/nats.hpp"
#include "tact/tact.hpp"

struct Inc {
  std::int64_t amount;
  MSGPACK_DEFINE(amount)
};
struct Get {};
struct Fail {
  std::string why;
  MSGPACK_DEFINE(why)
};
struct Slow {
  int ms;
  MSGPACK_DEFINE(ms)
};
struct Append {
  int value;
  MSGPACK_DEFINE(value)
};
struct Log {};
struct Who {};

template <>
struct tact::nats::use_msgpack<std::vector<int>> : std::true_type {};

class Counter {
 public:
  using remote_messages = tact::nats::messages<Inc, Get, Fail, Slow, Append, Log>;
  std::int64_t handle(Inc msg) { return count_ += msg.amount; }
  std::int64_t handle(Get) { return count_; }
  std::int64_t handle(Fail msg) { throw std::runtime_error(msg.why); }
  std::int64_t handle(Slow msg) {
    std::this_thread::sleep_for(std::chrono::milliseconds(msg.ms));
    return msg.ms;
  }
  void handle(Append msg) { log_.push_back(msg.value); }
  std::vector<int> handle(Log) { return log_; }

 private:
  std::int64_t count_ = 0;
  std::vector<int> log_;
};
