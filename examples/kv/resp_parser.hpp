// parse_request: one RESP2 request from the front of a byte buffer.
//
// Accepts what Redis accepts from clients:
//   - a multibulk frame: `*<n>\r\n` then n bulk strings `$<len>\r\n<len bytes>\r\n`
//     (binary-safe); `*0`/`*-1` are empty requests (consumed, no arguments);
//   - an inline command: one line of words separated by spaces or tabs, ended by
//     `\n` (a `\r` before it is dropped); an empty line is an empty request.
// The parser is stateless: given a buffer that holds only part of a frame it
// answers kIncomplete and the caller retries with more bytes appended, so a frame
// fed byte by byte parses the same as one fed whole. Limits (RespLimits) are checked
// as soon as the header that breaks them is complete, before the body arrives.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "resp_limits.hpp"

namespace kv {

enum class ParseStatus { kComplete, kIncomplete, kError };

struct ParseResult {
  ParseStatus status = ParseStatus::kIncomplete;
  // kComplete: bytes the frame took from the front of the input.
  std::size_t consumed = 0;
  // kIncomplete: the frame needs at least this many bytes in all (0: unknown),
  // so a caller holding a long frame's start need not re-parse it per read.
  std::size_t needed = 0;
  // kError: what was wrong, for "-ERR Protocol error: <error>".
  std::string error;
};

// On kComplete, `args` holds the request's arguments (views into `input`, valid
// while it is); otherwise `args` is unspecified.
ParseResult parse_request(std::string_view input, const RespLimits& limits,
                          std::vector<std::string_view>& args);

}  // namespace kv
