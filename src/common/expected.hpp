#pragma once
// A value or the error that explains why there is none. std::expected is C++23 and Debian 12's
// g++ 12 lacks it; this is the small subset maintd needs, with the same names so the switch is a
// rename when the toolchain moves on.
#include <cassert>
#include <utility>
#include <variant>

namespace maintd {

template <class E>
struct Unexpected {
  E error;
};
template <class E>
Unexpected(E) -> Unexpected<E>;

template <class T, class E>
class Expected {
 public:
  Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  template <class G>
  Expected(Unexpected<G> u)  // NOLINT: implicit, like std::unexpected
      : state_(std::in_place_index<1>, std::move(u.error)) {}

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(state_));
  }
  const E& error() const {
    assert(!has_value());
    return std::get<1>(state_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, E> state_;
};

}  // namespace maintd
