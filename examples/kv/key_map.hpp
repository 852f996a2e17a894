// KeyMap: a shard's keys, in an open-addressing hash table built for the data
// path's cache misses.
//
// A lookup in std::unordered_map<std::string, ...> walks bucket -> previous node ->
// node -> the key's heap buffer: four dependent loads, each a likely cache miss
// with 100k random keys (measured: a third of tact-kv's CPU under redis-benchmark
// SET -r 100000). Here a lookup reads one slot (the key's full hash and a pointer,
// 16 bytes) and then the entry, whose key bytes live in the same allocation right
// after it: two misses. The hash comes from the I/O thread, which computed it
// anyway to pick the shard.
//
// Linear probing, capacity a power of two, at most half full; erase shifts the
// following run back (no tombstones). One owner thread: no synchronisation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kv {

class KeyMap {
 public:
  struct Entry {
    std::string value;
    std::int64_t expires_at = 0;  // steady_clock ns since epoch; 0: never
    std::size_t key_size = 0;
    // The key's bytes follow the Entry in the same allocation.
    std::string_view key() const noexcept {
      return {reinterpret_cast<const char*>(this + 1), key_size};
    }
  };

  static std::uint64_t hash(std::string_view key) noexcept;

  KeyMap();
  ~KeyMap();
  KeyMap(const KeyMap&) = delete;
  KeyMap& operator=(const KeyMap&) = delete;

  // `key_hash` is hash(key).
  Entry* find(std::string_view key, std::uint64_t key_hash) const noexcept;
  // Hints for a batch of lookups: start loading the key's home slot, then (once
  // that is in) its entry, so a batch's cache misses overlap instead of queueing.
  void prefetch_slot(std::uint64_t key_hash) const noexcept {
    __builtin_prefetch(&slots_[key_hash & mask_]);
  }
  void prefetch_entry(std::uint64_t key_hash) const noexcept {
    const Slot& slot = slots_[key_hash & mask_];
    if (slot.entry != nullptr) __builtin_prefetch(slot.entry);
  }
  // Inserts an empty entry for `key`, which must be absent.
  Entry* insert(std::string_view key, std::uint64_t key_hash);
  void erase(const Entry* entry, std::uint64_t key_hash) noexcept;
  // Incremental sweep: looks at up to `budget` slots from `cursor` (wrapping, and
  // kept by the caller between calls) and erases the entries `doomed(entry)`
  // picks. An erase shifts a later entry into the slot, so the slot is looked at
  // again; over a full cycle every entry present throughout is looked at.
  template <class Doomed>
  void sweep(std::size_t& cursor, std::size_t budget, Doomed doomed) noexcept {
    for (; budget > 0; --budget) {
      cursor &= mask_;
      const Slot& slot = slots_[cursor];
      if (slot.entry != nullptr && doomed(*slot.entry)) {
        erase(slot.entry, slot.hash);
      } else {
        ++cursor;
      }
    }
  }
  void clear() noexcept;
  std::size_t size() const noexcept { return size_; }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    Entry* entry = nullptr;  // null: empty
  };

  std::size_t index_of(const Entry* entry, std::uint64_t key_hash) const noexcept;
  void grow();
  static Entry* create_entry(std::string_view key);
  static void destroy_entry(Entry* entry) noexcept;

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace kv
