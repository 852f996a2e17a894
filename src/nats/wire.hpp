// The parts of tact's NATS wire format that are not msgpack (docs/remote.md,
// "Wire format"): error kinds, the reply subject's ask id, the remote watch
// and Down bodies, the heartbeat's names, the ask's deadline header. Pure
// functions of their bytes, without nats.c: the node uses them on what
// arrives, and the fuzz target (test/fuzz/nats_wire_fuzz.cpp) feeds them
// anything. None throws but for std::bad_alloc; bad bytes give nullopt.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tact/exit_reason.hpp"
#include "tact/nats/detail/node_abi.hpp"

namespace tact::nats::detail {

inline constexpr const char* kErrorHeader = "Tact-Error";
// An ask's deadline, for the replier: milliseconds since the Unix epoch, decimal,
// either as the last token of its reply subject, td<ms> (tact's asks: no natsMsg
// to build), or in this header (any client's).
inline constexpr std::string_view kDeadlineTokenTag = "td";
inline constexpr const char* kDeadlineHeader = "Tact-Deadline";

// An actor's subject for a message type, <prefix>.<type>, in a buffer of the
// calling thread's (no allocation once warm): valid until its next call.
const char* subject_of(std::string_view prefix, std::string_view type);

// The Tact-Error header's value for a kind, and back (unknown: kBadMessage).
const char* error_kind_name(ErrorKind kind) noexcept;
ErrorKind error_kind_from(std::string_view name) noexcept;

// The ask id of a reply subject <inbox prefix><id> or <inbox prefix><id>.td<ms>
// (decimal, no sign).
std::optional<std::uint64_t> parse_reply_id(std::string_view subject, std::string_view inbox_prefix) noexcept;

// A `_watch` request's body: "<watcher nuid> <subject>".
struct WatchRequestBody {
  std::string_view watcher;
  std::string_view subject;
};
std::optional<WatchRequestBody> parse_watch_request(std::string_view body) noexcept;

// A Down's body: "<reason digit 0-3>\n<subject>\n<error text>".
struct DownBody {
  ExitReason reason;
  std::string_view subject;
  std::string_view text;
};
std::optional<DownBody> parse_down(std::string_view body) noexcept;
std::string format_down(ExitReason reason, std::string_view subject, std::string_view text);

// A heartbeat's body: the names its node exposes, one a line (empty: none).
std::vector<std::string> parse_heartbeat(std::string_view body);

// The deadline header's value, and back. The system clock: it crosses processes.
std::string format_deadline(std::chrono::system_clock::time_point deadline);
std::optional<std::chrono::system_clock::time_point> parse_deadline(std::string_view value) noexcept;

// The reply subject's deadline token: appends ".td<ms>"; parses one token
// "td<ms>"; the deadline a reply subject carries in its last token, if any.
void append_deadline_token(std::string& subject, std::chrono::system_clock::time_point deadline);
std::optional<std::chrono::system_clock::time_point> parse_deadline_token(std::string_view token) noexcept;
std::optional<std::chrono::system_clock::time_point> deadline_of_reply(std::string_view reply) noexcept;

}  // namespace tact::nats::detail
