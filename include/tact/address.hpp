// ActorAddress: which actor, without its type. What tact::Down and tact::Exit
// name, what a registry name maps to; get one from any ref with ref.address().
// Comparable and hashable (with each other and with ActorRef<A>), copyable,
// usable from any thread. It is a counted reference like ActorRef: the actor's
// memory (not the actor: it may stop) lives while an address to it does, so two
// addresses are equal exactly when they name the same actor.
#pragma once

#include <cstddef>
#include <functional>
#include <utility>

#include "tact/detail/cell.hpp"

namespace tact {

namespace detail {
struct AddressAccess;
template <class A>
struct RefAccess;
}  // namespace detail

class ActorAddress {
 public:
  ActorAddress() noexcept = default;
  ActorAddress(const ActorAddress& other) noexcept : cell_(other.cell_) {
    if (cell_ != nullptr) detail::cell_retain(cell_);
  }
  ActorAddress(ActorAddress&& other) noexcept : cell_(std::exchange(other.cell_, nullptr)) {}
  // Any ref's address (implicit: a ref is an address with a type).
  template <class A>
  ActorAddress(const ActorRef<A>& ref) noexcept  // NOLINT(google-explicit-constructor)
      : cell_(detail::RefAccess<A>::cell(ref)) {
    if (cell_ != nullptr) detail::cell_retain(cell_);
  }
  ActorAddress& operator=(ActorAddress other) noexcept {
    std::swap(cell_, other.cell_);
    return *this;
  }
  ~ActorAddress() {
    if (cell_ != nullptr) detail::cell_release(cell_);
  }

  explicit operator bool() const noexcept { return cell_ != nullptr; }
  friend bool operator==(const ActorAddress& a, const ActorAddress& b) noexcept {
    return a.cell_ == b.cell_;
  }
  template <class A>
  friend bool operator==(const ActorAddress& a, const ActorRef<A>& ref) noexcept {
    return a.cell_ == detail::RefAccess<A>::cell(ref);
  }

  std::size_t hash() const noexcept { return std::hash<const void*>{}(cell_); }

 private:
  friend struct detail::AddressAccess;
  explicit ActorAddress(detail::CellBase* adopted) noexcept : cell_(adopted) {}
  detail::CellBase* cell_ = nullptr;
};

namespace detail {
struct AddressAccess {
  // A new counted address of `cell` (nullptr: the empty address).
  static ActorAddress of(CellBase* cell) noexcept {
    if (cell != nullptr) cell_retain(cell);
    return ActorAddress(cell);
  }
  static CellBase* cell(const ActorAddress& address) noexcept { return address.cell_; }
};
}  // namespace detail

}  // namespace tact

template <>
struct std::hash<tact::ActorAddress> {
  std::size_t operator()(const tact::ActorAddress& address) const noexcept { return address.hash(); }
};
