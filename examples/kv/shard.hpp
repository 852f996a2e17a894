// Shard: an actor owning one slice of the key space (key hash -> shard) in its own
// hash map. Only its handler touches the map, so there is no lock anywhere on the
// data path; shards on different workers run in parallel.
//
// Expiry is lazy: a key past its deadline is dropped when an op reaches it (a key
// that expires and is never touched again keeps its memory until FLUSHALL).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "shard_messages.hpp"

namespace kv {

class Shard {
 public:
  BatchDone handle(Batch batch);

 private:
  struct Entry {
    std::string value;
    std::int64_t expires_at = 0;  // steady_clock ns since epoch; 0: never
  };
  // Transparent hashing: lookups take the batch's string_view, no std::string built.
  // Deliberately not noexcept: libstdc++ caches each node's hash code only for hash
  // functors that may throw (or are not "fast"); without the cache, a lookup
  // re-hashes every key along its bucket chain (measured: a third of tact-kv's CPU
  // under redis-benchmark SET went there).
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {  // NOLINT(performance-noexcept-*)
      return std::hash<std::string_view>{}(key);
    }
  };
  using Map = std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>>;

  // The live entry for `key`, or end() (an expired one is erased on the way).
  Map::iterator find_live(std::string_view key, std::int64_t now);
  void apply(const Batch& batch, const Op& op, std::int64_t now, BatchDone& done);
  void incr_by(std::string_view key, std::int64_t delta, std::int64_t now, std::string& out,
               std::int64_t& number);

  Map map_;
};

}  // namespace kv
