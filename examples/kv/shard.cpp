#include "shard.hpp"

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
  for (const Op& op : batch.ops) apply(batch, op, now, done);
  return done;
}

Shard::Map::iterator Shard::find_live(std::string_view key, std::int64_t now) {
  auto it = map_.find(key);
  if (it != map_.end() && it->second.expires_at != 0 && it->second.expires_at <= now) {
    map_.erase(it);
    return map_.end();
  }
  return it;
}

void Shard::apply(const Batch& batch, const Op& op, std::int64_t now, BatchDone& done) {
  std::string& out = done.bytes;
  OpResult result{out.size(), 0, 0};
  const std::string_view key = batch.key(op);
  switch (op.kind) {
    case OpKind::kGet: {
      auto it = find_live(key, now);
      if (it == map_.end()) {
        append_null_bulk(out);
      } else {
        append_bulk(out, it->second.value);
      }
      break;
    }
    case OpKind::kSet: {
      auto it = map_.find(key);
      if (it == map_.end()) it = map_.emplace(std::string(key), Entry{}).first;
      it->second.value.assign(batch.value(op));
      it->second.expires_at = op.number;
      append_simple(out, "OK");
      break;
    }
    case OpKind::kDel: {
      auto it = find_live(key, now);
      result.number = it == map_.end() ? 0 : 1;
      if (it != map_.end()) map_.erase(it);
      append_integer(out, result.number);
      break;
    }
    case OpKind::kExists:
      result.number = find_live(key, now) == map_.end() ? 0 : 1;
      append_integer(out, result.number);
      break;
    case OpKind::kIncrBy:
      incr_by(key, op.number, now, out, result.number);
      break;
    case OpKind::kFlush:
      map_.clear();
      append_simple(out, "OK");
      break;
    case OpKind::kSize:
      result.number = static_cast<std::int64_t>(map_.size());
      append_integer(out, result.number);
      break;
  }
  result.size = out.size() - result.offset;
  done.results.push_back(result);
}

void Shard::incr_by(std::string_view key, std::int64_t delta, std::int64_t now, std::string& out,
                    std::int64_t& number) {
  auto it = find_live(key, now);
  std::int64_t current = 0;
  if (it != map_.end() && !string_to_int(it->second.value, current)) {
    append_error(out, "ERR value is not an integer or out of range");
    return;
  }
  if ((delta > 0 && current > std::numeric_limits<std::int64_t>::max() - delta) ||
      (delta < 0 && current < std::numeric_limits<std::int64_t>::min() - delta)) {
    append_error(out, "ERR increment or decrement would overflow");
    return;
  }
  number = current + delta;
  // INCR keeps the key's time to live, as Redis does.
  if (it == map_.end()) it = map_.emplace(std::string(key), Entry{}).first;
  it->second.value = std::to_string(number);
  append_integer(out, number);
}

}  // namespace kv
