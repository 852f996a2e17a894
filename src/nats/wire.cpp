#include "nats/wire.hpp"

#include <limits>

namespace tact::nats::detail {

const char* subject_of(std::string_view prefix, std::string_view type) {
  thread_local std::string subject;
  subject.assign(prefix);
  subject += '.';
  subject += type;
  return subject.c_str();
}

const char* error_kind_name(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::kStopped:
      return "stopped";
    case ErrorKind::kFull:
      return "full";
    case ErrorKind::kFailed:
      return "failed";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kNodeDown:
      return "node-down";
    case ErrorKind::kBadMessage:
    case ErrorKind::kNone:
      break;
  }
  return "bad-message";
}

ErrorKind error_kind_from(std::string_view name) noexcept {
  if (name == "stopped") return ErrorKind::kStopped;
  if (name == "full") return ErrorKind::kFull;
  if (name == "failed") return ErrorKind::kFailed;
  if (name == "timeout") return ErrorKind::kTimeout;
  if (name == "node-down") return ErrorKind::kNodeDown;
  return ErrorKind::kBadMessage;
}

namespace {
// A non-empty run of decimal digits that fits in 64 bits.
std::optional<std::uint64_t> parse_decimal(std::string_view digits) noexcept {
  if (digits.empty() || digits.size() > 20) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}
}  // namespace

std::optional<std::uint64_t> parse_reply_id(std::string_view subject, std::string_view inbox_prefix) noexcept {
  if (subject.substr(0, inbox_prefix.size()) != inbox_prefix) return std::nullopt;
  std::string_view rest = subject.substr(inbox_prefix.size());
  const std::size_t dot = rest.find('.');
  if (dot != std::string_view::npos) {
    // <id>.td<ms>: the deadline token is the only one allowed after the id.
    if (!parse_deadline_token(rest.substr(dot + 1))) return std::nullopt;
    rest = rest.substr(0, dot);
  }
  return parse_decimal(rest);
}

void append_deadline_token(std::string& subject, std::chrono::system_clock::time_point deadline) {
  subject += '.';
  subject += kDeadlineTokenTag;
  subject += format_deadline(deadline);
}

std::optional<std::chrono::system_clock::time_point> parse_deadline_token(std::string_view token) noexcept {
  if (token.substr(0, kDeadlineTokenTag.size()) != kDeadlineTokenTag) return std::nullopt;
  return parse_deadline(token.substr(kDeadlineTokenTag.size()));
}

std::optional<std::chrono::system_clock::time_point> deadline_of_reply(std::string_view reply) noexcept {
  const std::size_t dot = reply.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  return parse_deadline_token(reply.substr(dot + 1));
}

std::optional<WatchRequestBody> parse_watch_request(std::string_view body) noexcept {
  const std::size_t space = body.find(' ');
  if (space == 0 || space == std::string_view::npos || space + 1 == body.size()) return std::nullopt;
  return WatchRequestBody{body.substr(0, space), body.substr(space + 1)};
}

std::optional<DownBody> parse_down(std::string_view body) noexcept {
  if (body.size() < 3 || body[1] != '\n' || body[0] < '0' || body[0] > '3') return std::nullopt;
  const std::size_t end = body.find('\n', 2);
  if (end == std::string_view::npos || end == 2) return std::nullopt;
  return DownBody{static_cast<ExitReason>(body[0] - '0'), body.substr(2, end - 2), body.substr(end + 1)};
}

std::string format_down(ExitReason reason, std::string_view subject, std::string_view text) {
  std::string body;
  body.reserve(3 + subject.size() + text.size());
  body += static_cast<char>('0' + static_cast<int>(reason));
  body += '\n';
  body += subject;
  body += '\n';
  body += text;
  return body;
}

std::vector<std::string> parse_heartbeat(std::string_view body) {
  std::vector<std::string> names;
  while (!body.empty()) {
    const std::size_t end = body.find('\n');
    const std::string_view name = body.substr(0, end);
    if (!name.empty()) names.emplace_back(name);
    if (end == std::string_view::npos) break;
    body.remove_prefix(end + 1);
  }
  return names;
}

std::string format_deadline(std::chrono::system_clock::time_point deadline) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline.time_since_epoch()).count();
  return std::to_string(ms < 0 ? 0 : ms);
}

std::optional<std::chrono::system_clock::time_point> parse_deadline(std::string_view value) noexcept {
  const std::optional<std::uint64_t> ms = parse_decimal(value);
  // Beyond what a time_point of milliseconds holds: not a deadline of ours.
  if (!ms || *ms > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / 1'000'000)) {
    return std::nullopt;
  }
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::milliseconds(static_cast<std::int64_t>(*ms))));
}

}  // namespace tact::nats::detail
