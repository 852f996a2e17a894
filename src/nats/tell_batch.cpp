#include "nats/tell_batch.hpp"

#include <algorithm>
#include <cstdint>

namespace tact::nats::detail {
namespace {

// msgpack's str and bin headers: the smallest form that holds the length.
std::size_t str_header_size(std::size_t n) noexcept { return n < 32 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5; }
std::size_t bin_header_size(std::size_t n) noexcept { return n < 256 ? 2 : n < 65536 ? 3 : 5; }

// A header is built here, then appended at once (one append, not a push per byte).
struct Header {
  char bytes[5];
  std::size_t size = 0;
  void put(unsigned tag, std::size_t value, int length) noexcept {
    bytes[size++] = static_cast<char>(tag);
    for (int i = length - 1; i >= 0; --i) bytes[size++] = static_cast<char>((value >> (8 * i)) & 0xff);
  }
};

Header str_header(std::size_t n) noexcept {
  Header h;
  if (n < 32) {
    h.put(0xa0U | static_cast<unsigned>(n), 0, 0);
  } else if (n < 256) {
    h.put(0xd9, n, 1);
  } else if (n < 65536) {
    h.put(0xda, n, 2);
  } else {
    h.put(0xdb, n, 4);
  }
  return h;
}

Header bin_header(std::size_t n) noexcept {
  Header h;
  if (n < 256) {
    h.put(0xc4, n, 1);
  } else if (n < 65536) {
    h.put(0xc5, n, 2);
  } else {
    h.put(0xc6, n, 4);
  }
  return h;
}

// Reads a big-endian length of `bytes` bytes at the front of `rest`.
std::optional<std::size_t> take_be(std::string_view& rest, std::size_t bytes) noexcept {
  if (rest.size() < bytes) return std::nullopt;
  std::size_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i) value = (value << 8) | static_cast<unsigned char>(rest[i]);
  rest.remove_prefix(bytes);
  return value;
}

// A str (want_bin false) or bin at the front of `rest`: its payload.
std::optional<std::string_view> take_blob(std::string_view& rest, bool want_bin) noexcept {
  if (rest.empty()) return std::nullopt;
  const auto tag = static_cast<unsigned char>(rest.front());
  rest.remove_prefix(1);
  std::optional<std::size_t> n;
  if (!want_bin && (tag & 0xe0) == 0xa0) {
    n = tag & 0x1fU;
  } else if (tag == (want_bin ? 0xc4 : 0xd9)) {
    n = take_be(rest, 1);
  } else if (tag == (want_bin ? 0xc5 : 0xda)) {
    n = take_be(rest, 2);
  } else if (tag == (want_bin ? 0xc6 : 0xdb)) {
    n = take_be(rest, 4);
  }
  if (!n || *n > rest.size()) return std::nullopt;
  const std::string_view blob = rest.substr(0, *n);
  rest.remove_prefix(*n);
  return blob;
}

}  // namespace

std::size_t batch_entry_size(std::size_t type_size, std::size_t data_size) noexcept {
  return str_header_size(type_size) + type_size + bin_header_size(data_size) + data_size;
}

void append_batch_entry(std::string& batch, std::string_view type, std::string_view data) {
  const Header type_header = str_header(type.size());
  const Header data_header = bin_header(data.size());
  // The one allocation first (doubling): the appends below cannot throw, so
  // the batch never holds half an entry.
  const std::size_t needed = batch.size() + batch_entry_size(type.size(), data.size());
  if (batch.capacity() < needed) batch.reserve(std::max(needed, 2 * batch.capacity()));
  batch.append(type_header.bytes, type_header.size);
  batch.append(type);
  batch.append(data_header.bytes, data_header.size);
  batch.append(data);
}

std::optional<BatchEntry> next_batch_entry(std::string_view& rest) noexcept {
  std::string_view at = rest;
  const std::optional<std::string_view> type = take_blob(at, false);
  if (!type || type->empty()) return std::nullopt;
  const std::optional<std::string_view> data = take_blob(at, true);
  if (!data) return std::nullopt;
  rest = at;
  return BatchEntry{*type, *data};
}

bool valid_batch(std::string_view body) noexcept {
  if (body.empty()) return false;
  while (!body.empty()) {
    if (!next_batch_entry(body)) return false;
  }
  return true;
}

}  // namespace tact::nats::detail
