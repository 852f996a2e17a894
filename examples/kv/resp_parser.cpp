#include "resp_parser.hpp"

#include <cstdint>

namespace kv {
namespace {

ParseResult incomplete(std::size_t needed = 0) {
  ParseResult r;
  r.needed = needed;
  return r;
}
ParseResult complete(std::size_t consumed) {
  ParseResult r;
  r.status = ParseStatus::kComplete;
  r.consumed = consumed;
  return r;
}
ParseResult error(std::string what) {
  ParseResult r;
  r.status = ParseStatus::kError;
  r.error = std::move(what);
  return r;
}

// A header line's number: an optional '-' and 1-18 decimal digits, nothing else
// (18 digits cannot overflow int64). False for anything else.
bool parse_length(std::string_view text, std::int64_t& out) {
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  if (text.empty() || text.size() > 18) return false;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = negative ? -value : value;
  return true;
}

// Where the header line that starts at `pos` ends (the index of its '\r'), or
// npos while it is not all there. A header longer than `max_line` is an error
// the caller reports; `too_long` says so.
std::size_t find_line_end(std::string_view input, std::size_t pos, std::size_t max_line,
                          bool& too_long) {
  too_long = false;
  const std::size_t cr = input.find('\r', pos);
  if (cr == std::string_view::npos) {
    too_long = input.size() - pos > max_line;
    return std::string_view::npos;
  }
  if (cr - pos > max_line) too_long = true;
  return cr;
}

ParseResult parse_inline(std::string_view input, const RespLimits& limits,
                         std::vector<std::string_view>& args) {
  const std::size_t nl = input.find('\n');
  if (nl == std::string_view::npos) {
    if (input.size() > limits.max_inline) return error("too big inline request");
    return incomplete();
  }
  if (nl > limits.max_inline) return error("too big inline request");
  std::string_view line = input.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) {
      if (args.size() == limits.max_args) return error("too many arguments in request");
      args.push_back(line.substr(start, i - start));
    }
  }
  return complete(nl + 1);
}

ParseResult parse_multibulk(std::string_view input, const RespLimits& limits,
                            std::vector<std::string_view>& args) {
  bool too_long = false;
  // Header lines hold a sign and at most 18 digits; give a little slack.
  constexpr std::size_t kMaxHeader = 32;
  std::size_t cr = find_line_end(input, 1, kMaxHeader, too_long);
  if (too_long) return error("too big mbulk count string");
  if (cr == std::string_view::npos || cr + 1 >= input.size()) return incomplete();
  if (input[cr + 1] != '\n') return error("expected '\\n' after the count");
  std::int64_t count = 0;
  if (!parse_length(input.substr(1, cr - 1), count)) return error("invalid multibulk length");
  std::size_t pos = cr + 2;
  if (count <= 0) return complete(pos);
  if (static_cast<std::uint64_t>(count) > limits.max_args) {
    return error("invalid multibulk length (more than " + std::to_string(limits.max_args) +
                 " arguments)");
  }
  for (std::int64_t n = 0; n < count; ++n) {
    if (pos >= input.size()) return incomplete();
    if (input[pos] != '$') {
      return error(std::string("expected '$', got '") + input[pos] + "'");
    }
    cr = find_line_end(input, pos + 1, kMaxHeader, too_long);
    if (too_long) return error("too big bulk count string");
    if (cr == std::string_view::npos || cr + 1 >= input.size()) return incomplete();
    if (input[cr + 1] != '\n') return error("expected '\\n' after the bulk length");
    std::int64_t length = 0;
    if (!parse_length(input.substr(pos + 1, cr - pos - 1), length) || length < 0) {
      return error("invalid bulk length");
    }
    if (static_cast<std::uint64_t>(length) > limits.max_bulk) {
      return error("invalid bulk length (more than " + std::to_string(limits.max_bulk) +
                   " bytes)");
    }
    const auto size = static_cast<std::size_t>(length);
    const std::size_t body = cr + 2;
    if (input.size() - body < size + 2) return incomplete(body + size + 2);
    if (input[body + size] != '\r' || input[body + size + 1] != '\n') {
      return error("expected '\\r\\n' after the bulk string");
    }
    args.push_back(input.substr(body, size));
    pos = body + size + 2;
  }
  return complete(pos);
}

}  // namespace

ParseResult parse_request(std::string_view input, const RespLimits& limits,
                          std::vector<std::string_view>& args) {
  args.clear();
  if (input.empty()) return incomplete();
  if (input.front() == '*') return parse_multibulk(input, limits, args);
  return parse_inline(input, limits, args);
}

}  // namespace kv
