// string_to_int: Redis's notion of "a string that is an integer": an optional '-'
// and decimal digits, no spaces, no '+', no leading zeros, within int64.
#pragma once

#include <charconv>
#include <cstdint>
#include <string_view>

namespace kv {

inline bool string_to_int(std::string_view text, std::int64_t& out) {
  if (text.empty() || text.size() > 20) return false;
  const std::size_t digits_at = text.front() == '-' ? 1 : 0;
  if (text.size() == digits_at) return false;
  // Leading zeros ("007", "-0") would not round-trip through the integer.
  if (text[digits_at] == '0' && (text.size() > digits_at + 1 || digits_at == 1)) return false;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  out = value;
  return true;
}

}  // namespace kv
