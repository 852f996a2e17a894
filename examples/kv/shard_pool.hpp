// The shards as a tact::Pool: the pool spawns and supervises them, and its
// consistent hash decides which shard owns a key. The I/O threads do not send
// through the pool one op at a time: they batch one epoll round's ops per shard
// (one ask per shard per round), so they take the pool's routes() once and group
// each op by routes.index_for(its key hash) (shard_batches.hpp).
//
// A shard's keys live in a ShardStore outside the actor; the pool's factory takes
// the member's index and hands member i store i, for its first build and every
// restart, so a supervised restart keeps the keys. The pool is never resized:
// a store belongs to an index, and a resize would move keys between members.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <tact/tact.hpp>

#include "shard.hpp"
#include "shard_messages.hpp"

namespace kv {

// A key, as the pool hashes it: KeyMap::hash(key), computed once per op by the
// I/O thread (std::hash<KeyHash> below returns it as it is; the pool's jump
// hash remixes it, so the shard choice and the table slots use different bits).
struct KeyHash {
  std::uint64_t value;
};

// The pool's key function: an op's key.
struct KeyOfOp {
  KeyHash operator()(const Op& op) const noexcept { return {op.key_hash}; }
};

using ShardPool = tact::Pool<Shard, KeyOfOp>;

// `shards` members, member i on stores[i] (made here, kept by the factory).
inline std::unique_ptr<ShardPool> make_shard_pool(tact::Runtime& rt, std::size_t shards) {
  std::vector<std::shared_ptr<ShardStore>> stores;
  for (std::size_t i = 0; i < shards; ++i) stores.push_back(std::make_shared<ShardStore>());
  return std::make_unique<ShardPool>(
      rt, tact::PoolOptions{.size = shards, .routing = tact::Routing::consistent_hash},
      [stores = std::move(stores)](std::size_t index) { return Shard(stores.at(index)); }, KeyOfOp{});
}

}  // namespace kv

template <>
struct std::hash<kv::KeyHash> {
  std::size_t operator()(kv::KeyHash key) const noexcept { return static_cast<std::size_t>(key.value); }
};
