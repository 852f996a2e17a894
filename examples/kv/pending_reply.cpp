#include "pending_reply.hpp"

#include "resp_writer.hpp"

namespace kv {

void PendingReply::expect(Gather rule, std::uint32_t count) {
  gather = rule;
  waiting = count;
  if (rule == Gather::kArray) parts.resize(count);
}

void PendingReply::fill(std::uint32_t part, std::string_view reply, std::int64_t number) {
  if (waiting == 0) return;  // cannot happen: each part is answered once
  --waiting;
  const bool is_error = !reply.empty() && reply.front() == '-';
  if (gather == Gather::kOne) {
    bytes.assign(reply);
    return;
  }
  if (is_error) {
    if (!failed) bytes.assign(reply);
    failed = true;
    return;
  }
  if (gather == Gather::kArray && part < parts.size()) parts[part].assign(reply);
  if (gather == Gather::kSum) sum += number;
}

void PendingReply::encode_into(std::string& out) const {
  if (gather == Gather::kOne || failed) {
    out += bytes;
    return;
  }
  switch (gather) {
    case Gather::kArray:
      append_array_header(out, parts.size());
      for (const std::string& part : parts) out += part;
      break;
    case Gather::kSum:
      append_integer(out, sum);
      break;
    case Gather::kAllOk:
      append_simple(out, "OK");
      break;
    case Gather::kOne:
      break;
  }
}

PendingReply& ReplyQueue::push() {
  // Reuse the vector's storage: once everything went out, start again at 0;
  // when the dead prefix is half the vector, drop it.
  if (head_ == slots_.size()) {
    slots_.clear();
    head_ = 0;
  } else if (head_ > 64 && head_ * 2 > slots_.size()) {
    slots_.erase(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  return slots_.emplace_back();
}

PendingReply* ReplyQueue::find(std::uint64_t sequence) noexcept {
  if (sequence < head_sequence_) return nullptr;
  const std::uint64_t index = head_ + (sequence - head_sequence_);
  return index < slots_.size() ? &slots_[index] : nullptr;
}

bool ReplyQueue::drain_ready(std::string& out) {
  while (head_ < slots_.size() && slots_[head_].ready()) {
    PendingReply& reply = slots_[head_];
    reply.encode_into(out);
    const bool close = reply.close_after;
    reply = PendingReply{};
    ++head_;
    ++head_sequence_;
    if (close) return true;
  }
  if (head_ == slots_.size()) {
    slots_.clear();
    head_ = 0;
    // An idle connection should not keep a burst's worth of slots.
    if (slots_.capacity() > 64) slots_.shrink_to_fit();
  }
  return false;
}

}  // namespace kv
