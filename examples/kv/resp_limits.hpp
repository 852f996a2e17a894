// RespLimits: how much one request may claim before the parser refuses it. Every
// limit bounds memory a client can make the server hold for a frame it has not
// finished sending, so a hostile or broken client costs at most this much.
#pragma once

#include <cstddef>

namespace kv {

struct RespLimits {
  // Largest bulk string (a key or a value), in bytes. Redis allows 512 MiB; a
  // smaller default keeps one client from parking that much in our buffers.
  std::size_t max_bulk = 64u << 20;
  // Most arguments in one request (the `*<n>` count), command name included.
  std::size_t max_args = 1u << 16;
  // Longest inline command line (telnet-style "PING\r\n"), and longest `*`/`$`
  // header line; past it the frame is refused instead of buffered.
  std::size_t max_inline = 64u << 10;
};

}  // namespace kv
