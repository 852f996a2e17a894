// Shard: an actor owning one slice of the key space (key hash -> shard) in its
// store's hash map. Only its handler touches the map, so there is no lock anywhere
// on the data path; shards on different workers run in parallel.
//
// The shards are the members of a tact::Pool (shard_pool.hpp), which supervises
// them: the store lives outside the actor, handed to it by the pool's factory by
// the member's index, so a shard rebuilt after a failure finds its keys.
//
// Expiry: a key past its deadline is dropped when an op reaches it, and each batch
// also sweeps a few slots of the table (kSweepPerBatch), so keys that expire and
// are never touched again give their memory back while the shard is in use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "key_map.hpp"
#include "shard_messages.hpp"

namespace kv {

// What a shard keeps: outlives the shard actor (a restart gets it back).
struct ShardStore {
  KeyMap map;
  std::size_t sweep_cursor = 0;
};

class Shard {
 public:
  static constexpr std::string_view name = "kv.shard";  // its actor class in the metrics (INFO)

  explicit Shard(std::shared_ptr<ShardStore> store) : store_(std::move(store)) {}

  BatchDone handle(Batch batch);

 private:
  // The live entry for the op's key, or null (an expired one is erased on the way).
  KeyMap::Entry* find_live(std::string_view key, const Op& op, std::int64_t now);
  KeyMap::Entry* find_or_insert(std::string_view key, const Op& op, std::int64_t now);
  void apply(const Batch& batch, const Op& op, std::int64_t now, BatchDone& done);
  void incr_by(std::string_view key, const Op& op, std::int64_t now, std::string& out,
               std::int64_t& number);

  static constexpr std::size_t kSweepPerBatch = 16;

  std::shared_ptr<ShardStore> store_;
};

}  // namespace kv
