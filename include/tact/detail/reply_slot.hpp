// ReplySlot<R>: the typed storage of a one-shot reply slot over ReplySlotBase.
// Allocated once per request; freed by the base's lifetime rules.
#pragma once

#include <exception>
#include <optional>
#include <utility>

#include "tact/detail/reply_slot_base.hpp"
#include "tact/outcome.hpp"

namespace tact::detail {

// Out of line (cell.cpp): building an exception_ptr is not for the hot path.
std::exception_ptr make_actor_stopped() noexcept;
std::exception_ptr make_handler_failed(std::exception_ptr cause) noexcept;
std::exception_ptr make_mailbox_full() noexcept;

template <class R>
class ReplySlot final : public ReplySlotBase {
 public:
  static ReplySlot* create() { return new ReplySlot(); }

  // -- for the writer (once; then publish()) --------------------------------------
  // If R's constructor throws, nothing is stored and the slot stays unpublished.
  template <class... Args>
  void store_value(Args&&... args) {
    outcome_.emplace(std::in_place, std::forward<Args>(args)...);
  }
  void store_error(std::exception_ptr error) noexcept { outcome_.emplace(std::move(error)); }

  // -- for the reader (after ready()) ----------------------------------------------
  Outcome<R> take_outcome() noexcept(std::is_nothrow_move_constructible_v<Outcome<R>>) {
    return std::move(*outcome_);
  }

 private:
  ReplySlot() noexcept : ReplySlotBase(&destroy) {}
  static void destroy(ReplySlotBase* base) noexcept { delete static_cast<ReplySlot*>(base); }

  std::optional<Outcome<R>> outcome_;
};

}  // namespace tact::detail
