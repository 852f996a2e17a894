// The msgpack pieces the durable wire formats share (journal.cpp: records and
// snapshots; routing.cpp: requests between hosts).
#pragma once

#include <msgpack.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

namespace tact::nats::durable {

inline void pack_bin(msgpack::packer<msgpack::sbuffer>& out, std::string_view bytes) {
  out.pack_bin(static_cast<std::uint32_t>(bytes.size()));
  out.pack_bin_body(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
}

// One msgpack value filling exactly `size` bytes. No container or string may
// announce more elements or bytes than there are bytes: a few corrupt bytes
// announcing 2^32 elements must not reserve them. Throws std::exception
// (msgpack's, or std::runtime_error for trailing bytes).
inline msgpack::object_handle unpack_exactly(const char* data, std::size_t size) {
  const msgpack::unpack_limit limit(size, size, size, size, size, 32);
  std::size_t offset = 0;
  msgpack::object_handle handle = msgpack::unpack(data, size, offset, nullptr, nullptr, limit);
  if (offset != size) throw std::runtime_error("trailing bytes");
  return handle;
}

}  // namespace tact::nats::durable
