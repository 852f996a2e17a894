// A node's outgoing tells, batched: a tell is appended to its target's outbox
// (one per actor subject prefix), and the outbox goes out as one NATS message,
// <prefix>._batch (tell_batch.hpp), or as the plain message when it holds one
// tell. Who writes it:
//   - the node's flusher thread, woken by the tell that starts a batch; it
//     waits for nothing, so a lone tell goes out after one thread hand-off,
//     and tells that come while it writes make the next batch;
//   - the sender, when its tell does not fit in the batch (tell_batch_bytes):
//     at most that much waits per target, and a sender faster than the socket
//     is slowed to its pace;
//   - an ask to the same target, before it is published: a sender's tells and
//     asks to one actor keep their order;
//   - close(), before the connection goes: a tell that returned true is written.
#include <cstring>
#include <utility>

#include "nats/node_impl.hpp"
#include "nats/tell_batch.hpp"
#include "nats/wire.hpp"

namespace tact::nats::detail {
namespace {

void bump_by(tact::detail::Atomic<std::uint64_t>& counter, std::uint64_t n) noexcept {
  // relaxed: a statistic; nothing is published through it.
  counter.fetch_add(n, tact::detail::relaxed);
}

}  // namespace

bool NodeImpl::publish_tell(const std::string& prefix, std::string_view type, const char* data,
                            std::size_t size) noexcept {
  const natsStatus s = natsConnection_Publish(conn_, subject_of(prefix, type), data, static_cast<int>(size));
  if (s != NATS_OK) {
    bump_by(publish_errors_, 1);
    return false;
  }
  return true;
}

bool NodeImpl::tell(Outbox& outbox, const std::string& type, const char* data, std::size_t size) noexcept {
  if (closed_.load(tact::detail::acquire)) return false;
  const std::size_t entry = batch_entry_size(type.size(), size);
  if (batch_limit_ == 0 || entry > batch_limit_) {
    // Alone, after what is batched for the same actor.
    std::lock_guard<std::mutex> publishing(outbox.publish_mutex);
    flush_locked(outbox);
    if (!publish_tell(outbox.prefix, type, data, size)) return false;
    bump_by(tells_sent_, 1);
    return true;
  }
  Outbox* box = &outbox;
  try {
    std::unique_lock<std::mutex> lock(box->mutex);
    for (;;) {
      // Checked under the outbox's mutex: close() sets closed_ before it takes
      // that mutex to write the last batch, so a tell either gets into that
      // batch or sees the node closed (relaxed: the mutex orders it).
      if (closed_.load(tact::detail::relaxed)) return false;
      if (box->batch.size() + entry <= batch_limit_) break;
      lock.unlock();
      flush(*box);  // full: this sender writes it
      lock.lock();
    }
    const bool starts_batch = box->batch.empty();
    append_batch_entry(box->batch, type, std::string_view(data, size));
    ++box->count;
    lock.unlock();
    bump_by(tells_sent_, 1);
    if (starts_batch) {
      std::lock_guard<std::mutex> flush_lock(flush_mutex_);
      if (!box->listed) {
        flush_queue_.push_back(box);
        box->listed = true;
        flush_cv_.notify_one();
      }
    }
    return true;
  } catch (...) {  // std::bad_alloc
    bump_by(publish_errors_, 1);
    return false;
  }
}

Outbox* NodeImpl::outbox(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(outboxes_mutex_);
  std::unique_ptr<Outbox>& box = outboxes_[prefix];
  if (box == nullptr) box = std::make_unique<Outbox>(prefix);
  return box.get();
}

void NodeImpl::flush(Outbox& box) noexcept {
  std::lock_guard<std::mutex> publishing(box.publish_mutex);
  flush_locked(box);
}

void NodeImpl::flush_locked(Outbox& box) noexcept {
  std::string batch;
  std::uint64_t count = 0;
  {
    std::lock_guard<std::mutex> lock(box.mutex);
    if (box.count == 0) return;
    batch.swap(box.batch);
    count = std::exchange(box.count, 0);
  }
  if (count == 1) {
    // One tell: the plain message, as without batching.
    std::string_view rest = batch;
    if (const std::optional<BatchEntry> entry = next_batch_entry(rest)) {
      (void)publish_tell(box.prefix, entry->type, entry->data.data(), entry->data.size());
    }
    return;
  }
  if (!publish_tell(box.prefix, kBatchType, batch.data(), batch.size())) {
    bump_by(publish_errors_, count - 1);  // one error per tell lost
  }
}

void NodeImpl::flush_loop() noexcept {
  std::vector<Outbox*> work;
  std::unique_lock<std::mutex> lock(flush_mutex_);
  for (;;) {
    flush_cv_.wait(lock, [&] { return flusher_stop_ || !flush_queue_.empty(); });
    if (flusher_stop_) return;  // close() writes what is left
    work.swap(flush_queue_);
    for (Outbox* box : work) box->listed = false;
    lock.unlock();
    for (Outbox* box : work) flush(*box);
    work.clear();
    lock.lock();
  }
}

void NodeImpl::stop_flusher_and_flush() noexcept {
  {
    std::lock_guard<std::mutex> lock(flush_mutex_);
    flusher_stop_ = true;
  }
  flush_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  std::lock_guard<std::mutex> lock(outboxes_mutex_);
  for (auto& [prefix, box] : outboxes_) flush(*box);
}

}  // namespace tact::nats::detail
