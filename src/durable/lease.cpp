#include "durable/lease.hpp"

#include <memory>

namespace tact::nats::durable {

namespace {
struct EntryDeleter {
  void operator()(kvEntry* e) const noexcept { kvEntry_Destroy(e); }
};
using Entry = std::unique_ptr<kvEntry, EntryDeleter>;

Entry get(kvStore* kv, const std::string& key, natsStatus& status) {
  kvEntry* raw = nullptr;
  status = kvStore_Get(&raw, kv, key.c_str());
  return Entry(raw);
}
}  // namespace

Lease::Lease(JetStream& store, std::string name, std::string holder)
    : store_(store), key_(JetStream::key_of(name)), holder_(std::move(holder)) {}

void Lease::note_written(std::uint64_t revision, Clock::time_point sent) {
  revision_ = revision;
  // Every replica stores the entry after `sent` and keeps it a TTL from then;
  // stop a fifth of the TTL earlier still, for the time a renew may take.
  const auto ttl = store_.config().lease;
  valid_until_ = sent + ttl - ttl / 5;
}

bool Lease::acquire() {
  const Clock::time_point sent = Clock::now();
  std::uint64_t revision = 0;
  natsStatus status = kvStore_Create(&revision, store_.leases(), key_.c_str(), holder_.data(),
                                     static_cast<int>(holder_.size()));
  if (status == NATS_OK) {
    note_written(revision, sent);
    return true;
  }
  // Present: take it only if released (an empty holder), checked by revision.
  natsStatus get_status = NATS_OK;
  Entry entry = get(store_.leases(), key_, get_status);
  if (get_status != NATS_OK || entry == nullptr) {
    error_ = store_error(status, static_cast<jsErrCode>(0));
    return false;
  }
  // Held by someone else. Our own holder string (this process: it carries a
  // token of the process) is ours to take over, as is a released entry.
  const std::string_view value(static_cast<const char*>(kvEntry_Value(entry.get())),
                               static_cast<std::size_t>(kvEntry_ValueLen(entry.get())));
  if (!value.empty() && value != holder_) return false;
  status = kvStore_Update(&revision, store_.leases(), key_.c_str(), holder_.data(),
                          static_cast<int>(holder_.size()), kvEntry_Revision(entry.get()));
  if (status != NATS_OK) {
    error_ = store_error(status, static_cast<jsErrCode>(0));
    return false;
  }
  note_written(revision, sent);
  return true;
}

bool Lease::renew() {
  if (revision_ == 0) return false;
  const Clock::time_point sent = Clock::now();
  std::uint64_t revision = 0;
  natsStatus status = kvStore_Update(&revision, store_.leases(), key_.c_str(), holder_.data(),
                                     static_cast<int>(holder_.size()), revision_);
  if (status == NATS_OK) {
    // Our revision was still the last: nobody took it meanwhile (a lapsed
    // entry has no last revision, so the check would have failed).
    note_written(revision, sent);
    return true;
  }
  // The revision moved (the entry lapsed and someone took it) or the store
  // did not answer: held() ends at valid_until() either way; call it lost.
  error_ = store_error(status, static_cast<jsErrCode>(0));
  revision_ = 0;
  return false;
}

void Lease::release() {
  if (revision_ == 0) return;
  std::uint64_t revision = 0;
  (void)kvStore_Update(&revision, store_.leases(), key_.c_str(), "", 0, revision_);
  revision_ = 0;
}

std::string Lease::holder() const {
  natsStatus status = NATS_OK;
  Entry entry = get(store_.leases(), key_, status);
  if (status != NATS_OK || entry == nullptr) return {};
  return std::string(static_cast<const char*>(kvEntry_Value(entry.get())),
                     static_cast<std::size_t>(kvEntry_ValueLen(entry.get())));
}

}  // namespace tact::nats::durable
