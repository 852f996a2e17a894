#include "shard.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>

#include "resp_writer.hpp"
#include "string_to_int.hpp"

namespace kv {

BatchDone Shard::handle(Batch batch) {
  // One clock read per batch: every op of a batch happens "at once".
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  BatchDone done;
  done.results.reserve(batch.ops.size());
  done.bytes.reserve(batch.ops.size() * 8);
  // A pipelined batch's lookups are independent: in groups small enough to stay in
  // L1, load every slot, then every entry, then do the ops, so the misses (two
  // per op, several hundred ns each on a busy VM) overlap.
  constexpr std::size_t kGroup = 32;
  const std::size_t n = batch.ops.size();
  for (std::size_t first = 0; first < n; first += kGroup) {
    const std::size_t last = std::min(n, first + kGroup);
    if (last - first > 1) {
      for (std::size_t i = first; i < last; ++i) store_->map.prefetch_slot(batch.ops[i].key_hash);
      for (std::size_t i = first; i < last; ++i) store_->map.prefetch_entry(batch.ops[i].key_hash);
    }
    for (std::size_t i = first; i < last; ++i) apply(batch, batch.ops[i], now, done);
  }
  store_->map.sweep(store_->sweep_cursor, kSweepPerBatch, [now](const KeyMap::Entry& entry) {
    return entry.expires_at != 0 && entry.expires_at <= now;
  });
  return done;
}

KeyMap::Entry* Shard::find_live(std::string_view key, const Op& op, std::int64_t now) {
  KeyMap::Entry* entry = store_->map.find(key, op.key_hash);
  if (entry != nullptr && entry->expires_at != 0 && entry->expires_at <= now) {
    store_->map.erase(entry, op.key_hash);
    return nullptr;
  }
  return entry;
}

KeyMap::Entry* Shard::find_or_insert(std::string_view key, const Op& op, std::int64_t now) {
  KeyMap::Entry* entry = find_live(key, op, now);
  return entry != nullptr ? entry : store_->map.insert(key, op.key_hash);
}

void Shard::apply(const Batch& batch, const Op& op, std::int64_t now, BatchDone& done) {
  std::string& out = done.bytes;
  OpResult result{out.size(), 0, 0};
  const std::string_view key = batch.key(op);
  switch (op.kind) {
    case OpKind::kGet: {
      const KeyMap::Entry* entry = find_live(key, op, now);
      if (entry == nullptr) {
        append_null_bulk(out);
      } else {
        append_bulk(out, entry->value);
      }
      break;
    }
    case OpKind::kSet: {
      KeyMap::Entry* entry = find_or_insert(key, op, now);
      entry->value.assign(batch.value(op));
      entry->expires_at = op.number;
      append_simple(out, "OK");
      break;
    }
    case OpKind::kDel: {
      const KeyMap::Entry* entry = find_live(key, op, now);
      result.number = entry == nullptr ? 0 : 1;
      if (entry != nullptr) store_->map.erase(entry, op.key_hash);
      append_integer(out, result.number);
      break;
    }
    case OpKind::kExists:
      result.number = find_live(key, op, now) == nullptr ? 0 : 1;
      append_integer(out, result.number);
      break;
    case OpKind::kIncrBy:
      incr_by(key, op, now, out, result.number);
      break;
    case OpKind::kFlush:
      store_->map.clear();
      append_simple(out, "OK");
      break;
    case OpKind::kSize:
      result.number = static_cast<std::int64_t>(store_->map.size());
      append_integer(out, result.number);
      break;
  }
  result.size = out.size() - result.offset;
  done.results.push_back(result);
}

void Shard::incr_by(std::string_view key, const Op& op, std::int64_t now, std::string& out,
                    std::int64_t& number) {
  KeyMap::Entry* entry = find_live(key, op, now);
  std::int64_t current = 0;
  if (entry != nullptr && !string_to_int(entry->value, current)) {
    append_error(out, "ERR value is not an integer or out of range");
    return;
  }
  const std::int64_t delta = op.number;
  if ((delta > 0 && current > std::numeric_limits<std::int64_t>::max() - delta) ||
      (delta < 0 && current < std::numeric_limits<std::int64_t>::min() - delta)) {
    append_error(out, "ERR increment or decrement would overflow");
    return;
  }
  number = current + delta;
  // INCR keeps the key's time to live, as Redis does.
  if (entry == nullptr) entry = store_->map.insert(key, op.key_hash);
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, number).ptr;
  entry->value.assign(digits, static_cast<std::size_t>(end - digits));
  append_integer(out, number);
}

}  // namespace kv
