// A batch of tells: many tells to one actor in one NATS message (docs/remote.md,
// "Wire format"). Subject <actor prefix>._batch, no reply subject; the body is
// the tells in the order sent, each a msgpack str (the type's wire name) and a
// msgpack bin (the message's codec bytes). Pure functions of their bytes: the
// node uses them, and the fuzz target feeds the parser anything.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tact::nats::detail {

// The subject's last token that marks a batch (a message type's wire name
// never starts with '_': tact's own subjects do).
inline constexpr std::string_view kBatchType = "_batch";

// The bytes one entry takes.
std::size_t batch_entry_size(std::size_t type_size, std::size_t data_size) noexcept;
// Appends one entry, whole or not at all (throws std::bad_alloc only). Sizes
// past 2^32-1 are not batched (the caller publishes such a message alone).
void append_batch_entry(std::string& batch, std::string_view type, std::string_view data);

struct BatchEntry {
  std::string_view type;
  std::string_view data;
};
// The first entry of `rest`, which then starts after it; nullopt when `rest`
// does not start with a whole entry.
std::optional<BatchEntry> next_batch_entry(std::string_view& rest) noexcept;
// Whether `body` is one or more whole entries, nothing else.
bool valid_batch(std::string_view body) noexcept;

}  // namespace tact::nats::detail
