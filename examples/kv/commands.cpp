#include "commands.hpp"

#include <array>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <string>

#include "resp_writer.hpp"
#include "shard.hpp"
#include "string_to_int.hpp"

namespace kv {
namespace {

using Args = std::vector<std::string_view>;

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != b[i]) return false;  // b is lower case
  }
  return true;
}

void reply_now(RequestContext& ctx, auto&& encode) {
  encode(ctx.reply.bytes);
  ctx.reply.expect(Gather::kOne, 0);
}

void reply_error(RequestContext& ctx, std::string_view message) {
  reply_now(ctx, [&](std::string& out) { append_error(out, message); });
}

// One key op whose answer is the whole reply.
void one_op(RequestContext& ctx, OpKind kind, std::string_view key, std::string_view value,
            std::int64_t number) {
  ctx.reply.expect(Gather::kOne, 1);
  ctx.batches.add(kind, key, value, number, ctx.target);
}

// The same op on keys args[first], args[first + step], ...; answers gathered by `rule`.
void each_key(RequestContext& ctx, const Args& args, std::size_t first, std::size_t step,
              OpKind kind, Gather rule) {
  const auto keys = static_cast<std::uint32_t>((args.size() - first) / step);
  ctx.reply.expect(rule, keys);
  Target target = ctx.target;
  for (std::uint32_t part = 0; part < keys; ++part) {
    const std::size_t i = first + part * step;
    target.part = part;
    const std::string_view value = step == 2 ? args[i + 1] : std::string_view();
    ctx.batches.add(kind, args[i], value, 0, target);
  }
}

// A whole-keyspace op: one part per shard.
void every_shard(RequestContext& ctx, OpKind kind, Gather rule) {
  const auto shards = static_cast<std::uint32_t>(ctx.batches.shard_count());
  ctx.reply.expect(rule, shards);
  Target target = ctx.target;
  for (std::uint32_t shard = 0; shard < shards; ++shard) {
    target.part = shard;
    ctx.batches.add_to_shard(shard, kind, target);
  }
}

void cmd_ping(const Args& args, RequestContext& ctx) {
  if (args.size() == 1) {
    reply_now(ctx, [](std::string& out) { append_simple(out, "PONG"); });
  } else {
    reply_now(ctx, [&](std::string& out) { append_bulk(out, args[1]); });
  }
}

void cmd_echo(const Args& args, RequestContext& ctx) {
  reply_now(ctx, [&](std::string& out) { append_bulk(out, args[1]); });
}

void cmd_get(const Args& args, RequestContext& ctx) { one_op(ctx, OpKind::kGet, args[1], {}, 0); }

// SET key value [EX seconds | PX milliseconds]
void cmd_set(const Args& args, RequestContext& ctx) {
  std::int64_t expires_at = 0;
  for (std::size_t i = 3; i < args.size(); i += 2) {
    const bool ex = equals_ignoring_case(args[i], "ex");
    const bool px = equals_ignoring_case(args[i], "px");
    if ((!ex && !px) || i + 1 >= args.size() || expires_at != 0) {
      return reply_error(ctx, "ERR syntax error");
    }
    std::int64_t amount = 0;
    if (!string_to_int(args[i + 1], amount)) {
      return reply_error(ctx, "ERR value is not an integer or out of range");
    }
    const std::int64_t unit_ns = ex ? 1'000'000'000 : 1'000'000;
    if (amount <= 0) return reply_error(ctx, "ERR invalid expire time in 'set' command");
    if (amount > (std::numeric_limits<std::int64_t>::max() - ctx.now_ns) / unit_ns) {
      return reply_error(ctx, "ERR invalid expire time in 'set' command");
    }
    expires_at = ctx.now_ns + amount * unit_ns;
  }
  one_op(ctx, OpKind::kSet, args[1], args[2], expires_at);
}

void cmd_del(const Args& args, RequestContext& ctx) {
  each_key(ctx, args, 1, 1, OpKind::kDel, Gather::kSum);
}
void cmd_exists(const Args& args, RequestContext& ctx) {
  each_key(ctx, args, 1, 1, OpKind::kExists, Gather::kSum);
}
void cmd_mget(const Args& args, RequestContext& ctx) {
  each_key(ctx, args, 1, 1, OpKind::kGet, Gather::kArray);
}
void cmd_mset(const Args& args, RequestContext& ctx) {
  if (args.size() % 2 == 0) return reply_error(ctx, "ERR wrong number of arguments for 'mset' command");
  each_key(ctx, args, 1, 2, OpKind::kSet, Gather::kAllOk);
}

void incr_by(RequestContext& ctx, std::string_view key, std::int64_t delta) {
  one_op(ctx, OpKind::kIncrBy, key, {}, delta);
}
void cmd_incr(const Args& args, RequestContext& ctx) { incr_by(ctx, args[1], 1); }
void cmd_decr(const Args& args, RequestContext& ctx) { incr_by(ctx, args[1], -1); }
void cmd_incrby(const Args& args, RequestContext& ctx) {
  std::int64_t delta = 0;
  if (!string_to_int(args[2], delta)) {
    return reply_error(ctx, "ERR value is not an integer or out of range");
  }
  incr_by(ctx, args[1], delta);
}
void cmd_decrby(const Args& args, RequestContext& ctx) {
  std::int64_t delta = 0;
  if (!string_to_int(args[2], delta) || delta == std::numeric_limits<std::int64_t>::min()) {
    return reply_error(ctx, "ERR value is not an integer or out of range");
  }
  incr_by(ctx, args[1], -delta);
}

void cmd_flushall(const Args&, RequestContext& ctx) { every_shard(ctx, OpKind::kFlush, Gather::kAllOk); }
void cmd_dbsize(const Args&, RequestContext& ctx) { every_shard(ctx, OpKind::kSize, Gather::kSum); }

void cmd_select(const Args& args, RequestContext& ctx) {
  if (args[1] != "0") return reply_error(ctx, "ERR DB index is out of range");
  reply_now(ctx, [](std::string& out) { append_simple(out, "OK"); });
}

void cmd_quit(const Args&, RequestContext& ctx) {
  reply_now(ctx, [](std::string& out) { append_simple(out, "OK"); });
  ctx.reply.close_after = true;
}

// CONFIG GET <parameter>: what redis-benchmark asks at start-up ("save",
// "appendonly"). tact-kv keeps nothing on disk, and says so truthfully.
void cmd_config(const Args& args, RequestContext& ctx) {
  if (!equals_ignoring_case(args[1], "get") || args.size() != 3) {
    return reply_error(ctx, "ERR CONFIG: only CONFIG GET <parameter> is supported");
  }
  struct Parameter {
    std::string_view name, value;
  };
  static constexpr std::array<Parameter, 2> kParameters{{{"save", ""}, {"appendonly", "no"}}};
  for (const Parameter& p : kParameters) {
    if (equals_ignoring_case(args[2], p.name)) {
      return reply_now(ctx, [&](std::string& out) {
        append_array_header(out, 2);
        append_bulk(out, p.name);
        append_bulk(out, p.value);
      });
    }
  }
  reply_now(ctx, [](std::string& out) { append_array_header(out, 0); });
}

// INFO [section]: as redis-server's, "# Section" headers and "field:value"
// lines (what `redis-cli info` prints), from the runtime's metrics
// (docs/metrics.md): the shards' class, every actor class, the workers. Times
// in microseconds; quantiles of the sampled messages (1 in 64).
void cmd_info(const Args&, RequestContext& ctx) {
  const tact::metrics::Snapshot s = ctx.runtime->metrics();
  std::string text = "# Server\r\nredis_version:7.0.0-tact-kv\r\ntact_workers:" +
                     std::to_string(ctx.runtime->worker_count()) + "\r\ntact_metrics_sample_period:" +
                     std::to_string(s.sample_period) + "\r\n";
  const auto us = [](double ns) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f", ns / 1000);
    return std::string(buffer);
  };
  const auto class_lines = [&](const tact::metrics::ActorClassMetrics& c, const std::string& prefix) {
    text += prefix + "actors:" + std::to_string(c.live_actors) + "\r\n";
    text += prefix + "messages:" + std::to_string(c.messages) + "\r\n";
    text += prefix + "turns:" + std::to_string(c.turns) + "\r\n";
    text += prefix + "handler_p50_us:" + us(c.handler_ns.quantile(0.5)) + "\r\n";
    text += prefix + "handler_p99_us:" + us(c.handler_ns.quantile(0.99)) + "\r\n";
    text += prefix + "handler_p999_us:" + us(c.handler_ns.quantile(0.999)) + "\r\n";
    text += prefix + "mailbox_wait_p50_us:" + us(c.mailbox_wait_ns.quantile(0.5)) + "\r\n";
    text += prefix + "mailbox_wait_p99_us:" + us(c.mailbox_wait_ns.quantile(0.99)) + "\r\n";
    text += prefix + "dead_letters:" + std::to_string(c.dead_letters) + "\r\n";
    text += prefix + "failures:" + std::to_string(c.failures) + "\r\n";
    text += prefix + "restarts:" + std::to_string(c.restarts) + "\r\n";
  };
  text += "\r\n# Shards\r\n";
  for (const auto& c : s.classes) {
    if (c.name == Shard::name) class_lines(c, "shards_");
  }
  text += "\r\n# Actors\r\n";
  for (const auto& c : s.classes) {
    text += "class_" + std::to_string(&c - s.classes.data()) + ":name=" + c.name +
            ",messages=" + std::to_string(c.messages) + ",handler_p99_us=" + us(c.handler_ns.quantile(0.99)) +
            ",mailbox_wait_p99_us=" + us(c.mailbox_wait_ns.quantile(0.99)) + "\r\n";
  }
  text += "\r\n# Workers\r\n";
  for (const auto& w : s.workers) {
    if (w.guest) {  // the I/O threads running shard turns (tact::Driver): no time split
      text += "io_threads_as_workers:turns=" + std::to_string(w.turns) +
              ",injector_takes=" + std::to_string(w.injector_takes) + "\r\n";
      continue;
    }
    text += "worker_" + std::to_string(w.index) + ":busy_us=" + us(w.busy_ns) + ",spinning_us=" +
            us(w.spinning_ns) + ",parked_us=" + us(w.parked_ns) + ",turns=" + std::to_string(w.turns) +
            ",steals=" + std::to_string(w.steals) + ",injector_takes=" + std::to_string(w.injector_takes) +
            "\r\n";
  }
  reply_now(ctx, [&](std::string& out) { append_bulk(out, text); });
}

struct Command {
  std::string_view name;  // lower case
  int arity;              // Redis's convention: n exactly, or -n for at least n
  void (*run)(const Args&, RequestContext&);
};

void cmd_command(const Args& args, RequestContext& ctx);

constexpr std::array<Command, 20> kCommands{{
    {"get", 2, cmd_get},       {"set", -3, cmd_set},
    {"ping", -1, cmd_ping},    {"echo", 2, cmd_echo},
    {"incr", 2, cmd_incr},     {"incrby", 3, cmd_incrby},
    {"decr", 2, cmd_decr},     {"decrby", 3, cmd_decrby},
    {"del", -2, cmd_del},      {"exists", -2, cmd_exists},
    {"mget", -2, cmd_mget},    {"mset", -3, cmd_mset},
    {"config", -2, cmd_config}, {"command", -1, cmd_command},
    {"select", 2, cmd_select}, {"quit", -1, cmd_quit},
    {"flushall", -1, cmd_flushall}, {"flushdb", -1, cmd_flushall},
    {"dbsize", 1, cmd_dbsize}, {"info", -1, cmd_info},
}};

// COMMAND COUNT answers the table's size; COMMAND, COMMAND DOCS (redis-cli asks it
// at start-up for its hints) and the rest answer an empty array: no command docs.
void cmd_command(const Args& args, RequestContext& ctx) {
  if (args.size() == 2 && equals_ignoring_case(args[1], "count")) {
    return reply_now(ctx, [](std::string& out) {
      append_integer(out, static_cast<std::int64_t>(kCommands.size()));
    });
  }
  reply_now(ctx, [](std::string& out) { append_array_header(out, 0); });
}

bool arity_ok(int arity, std::size_t argc) {
  return arity >= 0 ? argc == static_cast<std::size_t>(arity)
                    : argc >= static_cast<std::size_t>(-arity);
}

std::string lower(std::string_view name) {
  std::string out(name.substr(0, 64));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

void dispatch_command(const std::vector<std::string_view>& args, RequestContext& ctx) {
  for (const Command& command : kCommands) {
    if (!equals_ignoring_case(args[0], command.name)) continue;
    if (!arity_ok(command.arity, args.size())) {
      return reply_error(ctx, "ERR wrong number of arguments for '" + std::string(command.name) +
                                  "' command");
    }
    return command.run(args, ctx);
  }
  reply_error(ctx, "ERR unknown command '" + lower(args[0]) + "'");
}

}  // namespace kv
