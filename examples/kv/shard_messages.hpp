// What I/O threads and shard actors say to each other.
//
// An I/O thread gathers, per shard, every key operation one epoll round parsed (from
// all its connections) into one Batch and asks the shard once: the ask, its reply
// slot and the wake-up are paid per batch, not per request. Keys and values travel
// in one arena string per batch (two allocations per batch, none per request); the
// answer comes back the same way, as encoded RESP bytes in one string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kv {

enum class OpKind : std::uint8_t {
  kGet,      // reply: bulk or null
  kSet,      // reply: +OK; `number`: absolute expiry (steady ns), 0 = none
  kDel,      // reply: :0/:1 (and `number`)
  kExists,   // reply: :0/:1 (and `number`)
  kIncrBy,   // `number`: delta; reply: :new value, or an error
  kFlush,    // whole shard; reply: +OK
  kSize,     // whole shard; reply: :keys (and `number`)
};

struct Op {
  OpKind kind = OpKind::kGet;
  std::size_t key_offset = 0;    // into Batch::arena
  std::size_t key_size = 0;
  std::size_t value_offset = 0;  // kSet only
  std::size_t value_size = 0;
  std::int64_t number = 0;       // see OpKind
  std::uint64_t key_hash = 0;    // KeyMap::hash(key): computed once, by the I/O thread
};

struct Batch {
  std::string arena;  // the keys and values the ops point into
  std::vector<Op> ops;

  std::string_view key(const Op& op) const { return {arena.data() + op.key_offset, op.key_size}; }
  std::string_view value(const Op& op) const {
    return {arena.data() + op.value_offset, op.value_size};
  }
};

// One answer per op, in the batch's order.
struct OpResult {
  std::size_t offset = 0;  // this op's reply within BatchDone::bytes
  std::size_t size = 0;
  std::int64_t number = 0;  // integer replies, for gathering (DEL/EXISTS sums, DBSIZE)
};

struct BatchDone {
  std::string bytes;
  std::vector<OpResult> results;

  std::string_view reply(const OpResult& r) const { return {bytes.data() + r.offset, r.size}; }
};

}  // namespace kv
