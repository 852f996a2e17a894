// PendingReply: the reply to one request, waiting for its shard answers; and
// ReplyQueue, a connection's replies in request order.
//
// A request touching k keys on shards waits for k answers ("parts"), gathered by
// its Gather rule. Replies leave the queue only from the front and only when
// complete, so a connection's replies go out in request order whatever order the
// shards answer in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kv {

enum class Gather : std::uint8_t {
  kOne,    // one answer (or none: filled at once) is the reply
  kArray,  // MGET: the answers, in key order, as an array
  kSum,    // DEL/EXISTS over many keys, DBSIZE: the sum of integer answers
  kAllOk,  // MSET, FLUSHALL: +OK once every part said OK
};

struct PendingReply {
  std::string bytes;                // kOne: the reply; otherwise the first error seen
  std::vector<std::string> parts;   // kArray: one answer per key
  std::int64_t sum = 0;             // kSum
  std::uint32_t waiting = 0;        // answers still to come
  Gather gather = Gather::kOne;
  bool failed = false;              // a part answered an error: `bytes` is the reply
  bool close_after = false;         // the connection closes once this reply is out

  // Prepares for `count` shard answers gathered by `rule`.
  void expect(Gather rule, std::uint32_t count);
  // One shard answer: the RESP reply bytes and, for integer replies, their value.
  void fill(std::uint32_t part, std::string_view reply, std::int64_t number);
  bool ready() const noexcept { return waiting == 0; }
  void encode_into(std::string& out) const;
};

class ReplyQueue {
 public:
  // A new reply at the back; its sequence number is next_sequence() before the call.
  PendingReply& push();
  std::uint64_t next_sequence() const noexcept { return head_sequence_ + (slots_.size() - head_); }
  // The reply for `sequence`, or null when it already went out.
  PendingReply* find(std::uint64_t sequence) noexcept;
  // Encodes the complete replies at the front, in order, into `out`. Returns true
  // when one of them closes the connection (nothing after it is sent).
  bool drain_ready(std::string& out);
  std::size_t in_flight() const noexcept { return slots_.size() - head_; }

 private:
  std::vector<PendingReply> slots_;  // [head_, size) are pending
  std::size_t head_ = 0;
  std::uint64_t head_sequence_ = 0;  // sequence number of slots_[head_]
};

}  // namespace kv
