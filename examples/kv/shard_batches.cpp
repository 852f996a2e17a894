#include "shard_batches.hpp"

#include <functional>
#include <utility>

namespace kv {

std::size_t ShardBatches::shard_of(std::string_view key) const noexcept {
  const std::uint64_t h = std::hash<std::string_view>{}(key) * 0x9E3779B97F4A7C15ull;
  return static_cast<std::size_t>((h >> 32) % pending_.size());
}

void ShardBatches::add(std::size_t shard, OpKind kind, std::string_view key,
                       std::string_view value, std::int64_t number, Target target) {
  OutgoingBatch& out = pending_[shard];
  Op op;
  op.kind = kind;
  op.key_offset = out.batch.arena.size();
  op.key_size = key.size();
  out.batch.arena.append(key);
  op.value_offset = out.batch.arena.size();
  op.value_size = value.size();
  out.batch.arena.append(value);
  op.number = number;
  out.batch.ops.push_back(op);
  out.targets.push_back(target);
}

OutgoingBatch ShardBatches::take(std::size_t shard) {
  return std::exchange(pending_[shard], OutgoingBatch{});
}

}  // namespace kv
