// Connection: one client socket, owned by one I/O thread (no other thread ever
// touches it). An idle connection holds no buffers: `in` keeps only a frame's
// unparsed start, `out` only replies the socket has not taken yet, and both give
// their memory back once a burst is over.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "pending_reply.hpp"

namespace kv {

struct Connection {
  int fd = -1;                  // -1: this table entry is free
  std::uint32_t generation = 0; // bumped on close: stale answers and events are dropped
  std::string in;               // read but not yet parsed (the start of a frame)
  std::size_t in_needed = 0;    // `in` holds no whole frame below this size
  std::string out;              // encoded replies not yet written
  std::size_t out_sent = 0;     // prefix of `out` already written
  ReplyQueue replies;           // requests parsed, replies not yet encoded
  std::uint32_t interest = 0;   // the epoll events registered now
  bool read_closed = false;     // no more requests: EOF, protocol error, QUIT or stop
  bool closing = false;         // a reply that closes the connection went out
  bool flush_queued = false;    // listed in IoThread's flush list this round

  bool open() const noexcept { return fd >= 0; }
  std::size_t unsent() const noexcept { return out.size() - out_sent; }
};

}  // namespace kv
