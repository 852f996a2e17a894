// ShardBatches: the per-shard Batches an I/O thread fills during one epoll round,
// and, for every op, the Target its answer goes back to. The I/O thread sends each
// non-empty batch as one ask when the round's reads are parsed. Which shard an op
// goes to is the shard pool's consistent hash of its key (shard_pool.hpp), read
// from a routes() snapshot taken once (the pool is never resized).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "shard_messages.hpp"
#include "shard_pool.hpp"

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
  explicit ShardBatches(ShardPool::Routes routes) : routes_(std::move(routes)), pending_(routes_.size()) {}

  std::size_t shard_count() const noexcept { return pending_.size(); }
  // key hash -> shard: the member the pool's consistent hash picks.
  std::size_t shard_of(std::uint64_t key_hash) const { return routes_.index_for(KeyHash{key_hash}); }
  // The shard actor a batch goes to.
  const tact::ActorRef<Shard>& shard(std::size_t index) const noexcept { return routes_[index]; }

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

  ShardPool::Routes routes_;
  std::vector<OutgoingBatch> pending_;
};

}  // namespace kv
