// Outcome<T>: a value of T, or the error that replaced it. What a then()
// continuation receives; value() rethrows the error.
#pragma once

#include <exception>
#include <utility>
#include <variant>

namespace tact {

template <class T>
class Outcome {
 public:
  Outcome(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  // A non-null error (a null one would make value() rethrow nothing: UB).
  Outcome(std::exception_ptr error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  // The value built in place from `args` (how a reply slot stores it: no extra move,
  // and a value that converts to std::exception_ptr stays a value).
  template <class... Args>
  explicit Outcome(std::in_place_t, Args&&... args)
      : v_(std::in_place_index<0>, std::forward<Args>(args)...) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  // The value, or the error rethrown.
  T& value() & {
    rethrow_if_error();
    return std::get<0>(v_);
  }
  const T& value() const& {
    rethrow_if_error();
    return std::get<0>(v_);
  }
  T&& value() && {
    rethrow_if_error();
    return std::get<0>(std::move(v_));
  }

  // The error; null when there is a value.
  std::exception_ptr error() const noexcept {
    return has_value() ? nullptr : std::get<1>(v_);
  }

 private:
  void rethrow_if_error() const {
    if (!has_value()) std::rethrow_exception(std::get<1>(v_));
  }
  std::variant<T, std::exception_ptr> v_;
};

template <>
class Outcome<void> {
 public:
  Outcome() noexcept = default;
  explicit Outcome(std::in_place_t) noexcept {}
  Outcome(std::exception_ptr error) noexcept : error_(std::move(error)) {}  // NOLINT

  bool has_value() const noexcept { return !error_; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (error_) std::rethrow_exception(error_);
  }
  std::exception_ptr error() const noexcept { return error_; }

 private:
  std::exception_ptr error_;
};

}  // namespace tact
