#include "shard_batches.hpp"

#include "key_map.hpp"
#include <utility>

namespace kv {

void ShardBatches::add(OpKind kind, std::string_view key, std::string_view value,
                       std::int64_t number, Target target) {
  Op op;
  op.kind = kind;
  op.number = number;
  op.key_hash = KeyMap::hash(key);
  append(shard_of(op.key_hash), op, key, value, target);
}

void ShardBatches::add_to_shard(std::size_t shard, OpKind kind, Target target) {
  Op op;
  op.kind = kind;
  append(shard, op, {}, {}, target);
}

void ShardBatches::append(std::size_t shard, const Op& op, std::string_view key,
                          std::string_view value, Target target) {
  OutgoingBatch& out = pending_[shard];
  Op& added = out.batch.ops.emplace_back(op);
  added.key_offset = out.batch.arena.size();
  added.key_size = key.size();
  out.batch.arena.append(key);
  added.value_offset = out.batch.arena.size();
  added.value_size = value.size();
  out.batch.arena.append(value);
  out.targets.push_back(target);
}

OutgoingBatch ShardBatches::take(std::size_t shard) {
  return std::exchange(pending_[shard], OutgoingBatch{});
}

}  // namespace kv
