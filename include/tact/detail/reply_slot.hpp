// ReplySlot<R>: the typed storage of a one-shot reply slot over ReplySlotBase.
// Allocated once per request; freed by the base's lifetime rules.
#pragma once

#include <exception>
#include <optional>
#include <utility>

#include "tact/detail/reply_slot_base.hpp"
#include "tact/detail/runtime_abi.hpp"
#include "tact/outcome.hpp"

namespace tact::detail {


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
