// libFuzzer target: what a tact node decodes of a message that arrives from
// NATS (src/nats/wire.* and the msgpack codecs of include/tact/nats/codec.hpp),
// on arbitrary bytes. The first byte picks the decoder; the rest is its input
// (0xff: a batch of tells).
// Checks, besides "no crash, no unbounded allocation" (ASan/UBSan, rss limit):
//   - every decoder that accepts its input gives it back on re-encoding
//     (a Down body, a heartbeat's names, a reply id, a deadline header or
//     reply-subject token, an error kind);
//   - a message body (tell or ask) or a reply value that decodes re-encodes to
//     bytes that decode to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "nats/tell_batch.hpp"
#include "nats/wire.hpp"
#include "tact/nats/codec.hpp"

namespace {

using namespace tact::nats::detail;

void check(bool ok) {
  if (!ok) std::abort();
}

// Message types like the ones a user defines: members of msgpack's kinds.
struct Inc {
  std::int64_t amount = 0;
  MSGPACK_DEFINE(amount)
  bool operator==(const Inc&) const = default;
};
// No double member: msgpack-cxx 4.1.3 packs a struct's double through its own
// pack_double, undefined for 2^64 (tact's Codec<double> avoids it, case 11).
struct Entry {
  std::string key;
  std::vector<std::uint8_t> bytes;
  std::int32_t score = 0;
  bool flag = false;
  MSGPACK_DEFINE(key, bytes, score, flag)
  bool operator==(const Entry&) const = default;
};
struct Batch {
  std::vector<Entry> entries;
  std::map<std::string, std::int32_t> counts;
  MSGPACK_DEFINE(entries, counts)
  bool operator==(const Batch&) const = default;
};

// Decodes; when that works, encode and decode again: the same value.
template <class T>
void round_trip(std::string_view body) {
  T value;
  try {
    value = tact::nats::Codec<T>::decode(body.data(), body.size());
  } catch (const std::exception&) {
    return;  // the node answers bad-message and counts it
  }
  msgpack::sbuffer out;
  tact::nats::Codec<T>::encode(out, value);
  const T again = tact::nats::Codec<T>::decode(out.data(), out.size());
  if constexpr (std::is_floating_point_v<T>) {
    check(again == value || (again != again && value != value));  // NaN stays NaN
  } else {
    check(again == value);
  }
}

// A batch is valid exactly when its entries, read one by one, use up every
// byte; re-appended, they read back the same.
void check_batch(std::string_view input) {
  std::string_view rest = input;
  std::vector<BatchEntry> entries;
  while (const auto entry = next_batch_entry(rest)) {
    check(!entry->type.empty());
    entries.push_back(*entry);
  }
  check(valid_batch(input) == (rest.empty() && !entries.empty()));
  std::string again;
  for (const BatchEntry& entry : entries) append_batch_entry(again, entry.type, entry.data);
  std::size_t size = 0;
  for (const BatchEntry& entry : entries) size += batch_entry_size(entry.type.size(), entry.data.size());
  check(again.size() == size);
  std::string_view reread = again;
  for (const BatchEntry& entry : entries) {
    const auto back = next_batch_entry(reread);
    check(back && back->type == entry.type && back->data == entry.data);
  }
  check(reread.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t which = data[0];
  // A heap copy of exactly the rest, so ASan catches a read one past the end.
  const std::string buffer(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string_view input(buffer);
  if (which == 0xff) {  // a batch of tells (tell_batch.hpp); 0xff: the older cases keep their bytes
    check_batch(input);
    return 0;
  }
  switch (which % 12) {
    case 0: {  // a reply's subject: <inbox prefix><id>, or <inbox prefix><id>.td<ms>
      const std::string_view prefix = "_INBOX.abc.";
      if (const auto id = parse_reply_id(input, prefix)) {
        std::string again = std::string(prefix) + std::to_string(*id);
        check(parse_reply_id(again, prefix) == id);
        const auto at = deadline_of_reply(input);
        // Only the deadline token may follow the id.
        check(at.has_value() == (input.substr(prefix.size()).find('.') != std::string_view::npos));
        if (at) {
          append_deadline_token(again, *at);
          check(parse_reply_id(again, prefix) == id && deadline_of_reply(again) == at);
        }
      }
      break;
    }
    case 1: {  // a _watch request's body
      if (const auto request = parse_watch_request(input)) {
        check(!request->watcher.empty() && !request->subject.empty());
        check(request->watcher.find(' ') == std::string_view::npos);
        check(std::string(request->watcher) + ' ' + std::string(request->subject) == input);
      }
      break;
    }
    case 2: {  // a Down's body
      if (const auto down = parse_down(input)) {
        check(format_down(down->reason, down->subject, down->text) == input);
      }
      break;
    }
    case 3: {  // a heartbeat's names
      const std::vector<std::string> names = parse_heartbeat(input);
      std::string lines;
      for (const std::string& name : names) {
        check(!name.empty() && name.find('\n') == std::string::npos);
        lines += name;
      }
      std::string without_newlines;
      for (char c : input) {
        if (c != '\n') without_newlines += c;
      }
      check(lines == without_newlines);
      break;
    }
    case 4: {  // the Tact-Deadline header, and the reply subject's td<ms> token
      if (const auto at = parse_deadline(input)) {
        check(parse_deadline(format_deadline(*at)) == at);
      }
      if (const auto at = parse_deadline_token(input)) {
        std::string subject = "_INBOX.abc.7";
        append_deadline_token(subject, *at);
        check(deadline_of_reply(subject) == at);
      }
      break;
    }
    case 5: {  // the Tact-Error header
      const ErrorKind kind = error_kind_from(input);
      check(kind != ErrorKind::kNone);
      check(kind == ErrorKind::kBadMessage || error_kind_name(kind) == input);
      break;
    }
    // Message bodies, and reply values: the codecs.
    case 6:
      round_trip<Inc>(input);
      break;
    case 7:
      round_trip<Entry>(input);
      break;
    case 8:
      round_trip<Batch>(input);
      break;
    case 9:
      round_trip<std::string>(input);
      break;
    case 10:
      round_trip<std::int64_t>(input);
      break;
    default:
      round_trip<double>(input);
      break;
  }
  return 0;
}
