#pragma once
/// @file
/// `Boxed<T>`: a value of `T` kept on the heap, or none — with value semantics (a copy copies
/// the value, a move moves the pointer). For what a type holds only sometimes and would
/// otherwise carry inline on every path: a reply's tool calls and reasoning are rare, and
/// moving a null pointer through the walk costs a few instructions where moving their empty
/// vectors and strings costs tens.

#include <memory>
#include <utility>

namespace governed {

template <class T>
class Boxed {
 public:
  Boxed() noexcept = default;
  Boxed(const Boxed& other) : p_(other.p_ ? std::make_unique<T>(*other.p_) : nullptr) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& other) {
    if (this != &other) p_ = other.p_ ? std::make_unique<T>(*other.p_) : nullptr;
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;

  /// Whether a value is held.
  explicit operator bool() const noexcept { return p_ != nullptr; }
  const T* get() const noexcept { return p_.get(); }
  T* get() noexcept { return p_.get(); }
  const T& operator*() const noexcept { return *p_; }
  T& operator*() noexcept { return *p_; }
  const T* operator->() const noexcept { return p_.get(); }
  T* operator->() noexcept { return p_.get(); }

  /// The value, made (default-constructed) when none is held yet.
  T& make() {
    if (!p_) p_ = std::make_unique<T>();
    return *p_;
  }
  void reset() noexcept { p_.reset(); }

  /// Equal when both hold none, or both hold equal values.
  friend bool operator==(const Boxed& a, const Boxed& b) {
    if (!a.p_ || !b.p_) return !a.p_ && !b.p_;
    return *a.p_ == *b.p_;
  }

 private:
  std::unique_ptr<T> p_;
};

}  // namespace governed
