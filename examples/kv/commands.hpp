// dispatch_command: the command table. Turns one parsed request into its reply:
// answered at once (PING, ECHO, CONFIG, errors, ...) or planned as key ops on
// shards (GET, SET, ...), whose answers the reply then waits for.
#pragma once

#include <tact/runtime.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

#include "pending_reply.hpp"
#include "shard_batches.hpp"

namespace kv {

struct RequestContext {
  PendingReply& reply;   // this request's reply slot, already queued in order
  Target target;         // where shard answers go (part filled per op)
  ShardBatches& batches;
  std::int64_t now_ns;   // steady_clock, for SET's EX/PX deadlines
  const tact::Runtime* runtime;  // INFO reports its metrics
};

// `args` is non-empty; args[0] is the command name (any case).
void dispatch_command(const std::vector<std::string_view>& args, RequestContext& ctx);

}  // namespace kv
