#include "durable/journal.hpp"

#include <msgpack.hpp>

#include <memory>

#include "durable/msgpack_io.hpp"
#include "tact/errors.hpp"

namespace tact::nats::durable {

namespace {

constexpr std::uint64_t kVersion = 1;

[[noreturn]] void bad(std::string_view what, std::string_view why) {
  throw tact::Error("tact::nats durable: a bad " + std::string(what) + ": " + std::string(why));
}

std::string bin_of(const msgpack::object& o, std::string_view what) {
  if (o.type != msgpack::type::BIN) bad(what, "expected bytes");
  return std::string(o.via.bin.ptr, o.via.bin.size);
}

std::string str_of(const msgpack::object& o, std::string_view what) {
  if (o.type != msgpack::type::STR) bad(what, "expected a string");
  return std::string(o.via.str.ptr, o.via.str.size);
}

std::uint64_t uint_of(const msgpack::object& o, std::string_view what) {
  if (o.type != msgpack::type::POSITIVE_INTEGER) bad(what, "expected an unsigned integer");
  return o.via.u64;
}

const msgpack::object_array& array_of(const msgpack::object& o, std::string_view what, std::uint32_t size) {
  if (o.type != msgpack::type::ARRAY) bad(what, "expected an array");
  if (size != 0 && o.via.array.size != size) bad(what, "wrong number of fields");
  return o.via.array;
}

msgpack::object_handle unpack(std::string_view bytes, std::string_view what) {
  try {
    return unpack_exactly(bytes.data(), bytes.size());
  } catch (const std::exception& e) {
    bad(what, e.what());
  }
}

}  // namespace

std::string encode_record(const Record& record) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> out(buffer);
  out.pack_array(4);
  out.pack(kVersion);
  out.pack(record.request_id);
  pack_bin(out, record.answer);
  out.pack_array(static_cast<std::uint32_t>(record.events.size()));
  for (const std::string& event : record.events) pack_bin(out, event);
  return std::string(buffer.data(), buffer.size());
}

Record decode_record(std::string_view bytes) {
  msgpack::object_handle handle = unpack(bytes, "record");
  const auto& fields = array_of(handle.get(), "record", 4);
  if (uint_of(fields.ptr[0], "record version") != kVersion) bad("record", "unknown version");
  Record record;
  record.request_id = str_of(fields.ptr[1], "record's request id");
  record.answer = bin_of(fields.ptr[2], "record's answer");
  const auto& events = array_of(fields.ptr[3], "record's events", 0);
  record.events.reserve(events.size);
  for (std::uint32_t i = 0; i < events.size; ++i) record.events.push_back(bin_of(events.ptr[i], "event"));
  return record;
}

std::string encode_snapshot(const Snapshot& snapshot) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> out(buffer);
  out.pack_array(4);
  out.pack(kVersion);
  out.pack(snapshot.sequence);
  pack_bin(out, snapshot.state);
  out.pack_array(static_cast<std::uint32_t>(snapshot.recent.size()));
  for (const auto& [id, answer] : snapshot.recent) {
    out.pack_array(2);
    out.pack(id);
    pack_bin(out, answer);
  }
  return std::string(buffer.data(), buffer.size());
}

Snapshot decode_snapshot(std::string_view bytes) {
  msgpack::object_handle handle = unpack(bytes, "snapshot");
  const auto& fields = array_of(handle.get(), "snapshot", 4);
  if (uint_of(fields.ptr[0], "snapshot version") != kVersion) bad("snapshot", "unknown version");
  Snapshot snapshot;
  snapshot.sequence = uint_of(fields.ptr[1], "snapshot's sequence");
  snapshot.state = bin_of(fields.ptr[2], "snapshot's state");
  const auto& recent = array_of(fields.ptr[3], "snapshot's recent requests", 0);
  for (std::uint32_t i = 0; i < recent.size; ++i) {
    const auto& pair = array_of(recent.ptr[i], "recent request", 2);
    snapshot.recent.emplace_back(str_of(pair.ptr[0], "recent request's id"),
                                 bin_of(pair.ptr[1], "recent request's answer"));
  }
  return snapshot;
}

Journal::Journal(JetStream& store, std::string name)
    : store_(store), name_(std::move(name)), key_(JetStream::key_of(name_)), log_(store, name_) {}

Journal::Recovered Journal::recover(Clock::time_point deadline) {
  Recovered out;
  // The last sequence first: every record up to it is then read, and the
  // snapshot (read after) can only be older than it, never newer.
  LastEvent last = log_.last();
  if (last.error) {
    out.error = last.error;
    return out;
  }
  out.last_sequence = last.sequence;
  kvEntry* raw = nullptr;
  natsStatus status = kvStore_Get(&raw, store_.snapshots(), key_.c_str());
  std::unique_ptr<kvEntry, void (*)(kvEntry*)> entry(raw, [](kvEntry* e) { kvEntry_Destroy(e); });
  snapshot_revision_ = 0;
  std::uint64_t from = 0;
  if (status == NATS_OK && entry != nullptr && kvEntry_ValueLen(entry.get()) > 0) {
    try {
      Snapshot snapshot = decode_snapshot(std::string_view(static_cast<const char*>(kvEntry_Value(entry.get())),
                                                           static_cast<std::size_t>(kvEntry_ValueLen(entry.get()))));
      if (snapshot.sequence <= out.last_sequence) {
        from = snapshot.sequence;
        out.snapshot = std::move(snapshot);
      }
    } catch (const tact::Error&) {
      // A bad checkpoint is skipped: the records alone rebuild the state.
    }
    snapshot_revision_ = kvEntry_Revision(entry.get());
  } else if (status != NATS_OK && status != NATS_NOT_FOUND) {
    out.error = store_error(status, static_cast<jsErrCode>(0));
    return out;
  }
  try {
    out.error = log_.read(from, out.last_sequence, [&](std::uint64_t, std::string_view bytes, std::string_view) {
      out.records.push_back(decode_record(bytes));
    }, deadline);
  } catch (const tact::Error& e) {
    out.error.status = NATS_ERR;
    out.error.text = e.what();
  }
  if (!out.error) last_sequence_ = out.last_sequence;
  return out;
}

AppendResult Journal::append(const Record& record, Clock::time_point deadline) {
  // JetStream de-duplicates by Nats-Msg-Id across the whole stream: scope the
  // request id by the actor, or another actor's request of the same id would
  // be taken for this one (and acked with its sequence).
  AppendResult result = log_.append(encode_record(record), key_ + ":" + record.request_id, last_sequence_, deadline);
  if (result.outcome == Appended::kStored) last_sequence_ = result.sequence;
  return result;
}

void Journal::append_async(const Record& record, Clock::time_point deadline,
                           std::function<void(const AppendResult&)> done) {
  log_.append_async(encode_record(record), key_ + ":" + record.request_id, last_sequence_, deadline,
                    [this, done = std::move(done)](const AppendResult& result) {
                      if (result.outcome == Appended::kStored) last_sequence_ = result.sequence;
                      done(result);
                    });
}

bool Journal::save_snapshot(const Snapshot& snapshot) {
  const std::string bytes = encode_snapshot(snapshot);
  // The revision we know may be behind: kvStore_Get may be answered by a
  // replica that had not seen the last checkpoint yet. On a failed check,
  // read the stored one again and go on only while ours is newer.
  for (int attempt = 0; attempt < 4; ++attempt) {
    std::uint64_t revision = 0;
    natsStatus status =
        snapshot_revision_ == 0
            ? kvStore_Create(&revision, store_.snapshots(), key_.c_str(), bytes.data(), static_cast<int>(bytes.size()))
            : kvStore_Update(&revision, store_.snapshots(), key_.c_str(), bytes.data(),
                             static_cast<int>(bytes.size()), snapshot_revision_);
    if (status == NATS_OK) {
      snapshot_revision_ = revision;
      return true;
    }
    kvEntry* raw = nullptr;
    status = kvStore_Get(&raw, store_.snapshots(), key_.c_str());
    std::unique_ptr<kvEntry, void (*)(kvEntry*)> entry(raw, [](kvEntry* e) { kvEntry_Destroy(e); });
    if (status == NATS_NOT_FOUND) {
      snapshot_revision_ = 0;
      continue;
    }
    if (status != NATS_OK || entry == nullptr) return false;
    std::uint64_t stored = 0;
    try {
      stored = decode_snapshot(std::string_view(static_cast<const char*>(kvEntry_Value(entry.get())),
                                                static_cast<std::size_t>(kvEntry_ValueLen(entry.get()))))
                   .sequence;
    } catch (const tact::Error&) {
      stored = 0;  // a bad checkpoint is worth replacing
    }
    // Never replace a newer checkpoint (a newer owner's) with an older one.
    if (stored >= snapshot.sequence) return false;
    snapshot_revision_ = kvEntry_Revision(entry.get());
  }
  return false;
}

}  // namespace tact::nats::durable
