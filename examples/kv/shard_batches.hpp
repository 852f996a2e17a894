// ShardBatches: the per-shard Batches an I/O thread fills during one epoll round,
// and, for every op, the Target its answer goes back to. The I/O thread sends each
// non-empty batch as one ask when the round's reads are parsed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "shard_messages.hpp"

namespace kv {

// Which reply an op's answer fills: a connection (index and generation, so an
// answer for a connection that closed meanwhile is recognised and dropped), the
// request's sequence number on it, and the part of a multi-key request.
struct Target {
  std::uint32_t connection = 0;
  std::uint32_t generation = 0;
  std::uint64_t sequence = 0;
  std::uint32_t part = 0;
};

// A batch ready to send, and the targets of its ops (same order).
struct OutgoingBatch {
  Batch batch;
  std::vector<Target> targets;
};

class ShardBatches {
 public:
  explicit ShardBatches(std::size_t shards) : pending_(shards) {}

  std::size_t shard_count() const noexcept { return pending_.size(); }
  // key hash -> shard. The hash is remixed so the shard choice and the shard's own
  // table slots (the hash's low bits) do not use the same bits.
  std::size_t shard_of(std::uint64_t key_hash) const noexcept;

  // An op on `key`, to the shard its hash picks.
  void add(OpKind kind, std::string_view key, std::string_view value, std::int64_t number,
           Target target);
  // An op on a whole shard (no key).
  void add_to_shard(std::size_t shard, OpKind kind, Target target);

  bool empty(std::size_t shard) const noexcept { return pending_[shard].targets.empty(); }
  // The shard's batch, leaving an empty one behind.
  OutgoingBatch take(std::size_t shard);

 private:
  void append(std::size_t shard, const Op& op, std::string_view key, std::string_view value,
              Target target);

  std::vector<OutgoingBatch> pending_;
};

}  // namespace kv
