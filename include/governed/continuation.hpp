#pragma once
/// @file
/// `Continuation<Value>`: how an asynchronous step (a limit set's admission asked of a shared
/// store) hands its result back to the call that asked, without core naming an executor
/// library. A continuation is a move-only callable and the executor it runs on, seen through
/// `ContinuationExecutor`; governed/asio_continuation.hpp makes one over an Asio executor
/// (`continuation_on`), and a store that does its I/O on Asio (redis/limits.hpp) reads the
/// caller's executor back from it.
///
/// The step that answers calls it exactly once: `post` with an answer it knew at once (never
/// run inside the call that asked, whose caller may hold a lock or expect the answer later),
/// `operator()` with one that came later (run at once when that thread is already on the
/// executor, as `asio::dispatch`).

#include <memory>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace governed {

namespace detail {

/// A move-only callable run at most once. Not `std::function`, which must be copyable: a
/// continuation often holds a move-only completion handler.
template <class Signature>
class OnceFunction;

template <class... Args>
class OnceFunction<void(Args...)> {
 public:
  OnceFunction() = default;

  template <class F>
    requires(!std::is_same_v<std::decay_t<F>, OnceFunction> && std::is_invocable_v<std::decay_t<F>&, Args...>)
  OnceFunction(F&& f) : impl_(std::make_unique<Holder<std::decay_t<F>>>(std::forward<F>(f))) {}  // NOLINT: implicit

  explicit operator bool() const noexcept { return impl_ != nullptr; }

  /// Runs the callable and lets it go (with what it holds) once it returns.
  void operator()(Args... args) && {
    auto impl = std::move(impl_);
    impl->call(std::forward<Args>(args)...);
  }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void call(Args... args) = 0;
  };
  template <class F>
  struct Holder final : Base {
    explicit Holder(F g) : f(std::move(g)) {}
    void call(Args... args) override { f(std::forward<Args>(args)...); }
    F f;
  };
  std::unique_ptr<Base> impl_;
};

}  // namespace detail

/// The executor a continuation runs on, as core sees it. Shared by the continuations of one call,
/// used from any thread.
class ContinuationExecutor {
 public:
  using Job = detail::OnceFunction<void()>;

  virtual ~ContinuationExecutor() = default;
  /// Runs `job` at once when the calling thread is already on this executor, later on it
  /// otherwise.
  virtual void dispatch(Job job) const = 0;
  /// Runs `job` on this executor later: never inside this call.
  virtual void post(Job job) const = 0;

  /// The executor behind this one when it is an `Executor` (for a store that runs its own
  /// work there), else null.
  template <class Executor>
  const Executor* get() const noexcept {
    return static_cast<const Executor*>(find(typeid(Executor)));
  }

 private:
  virtual const void* find(const std::type_info& type) const noexcept = 0;
};

/// A callable taking `Value`, and the executor it runs on. Move-only; called once.
template <class Value>
class Continuation {
 public:
  Continuation(std::shared_ptr<const ContinuationExecutor> executor, detail::OnceFunction<void(Value)> run)
      : executor_(std::move(executor)), run_(std::move(run)) {}

  /// Runs the callable with `value` on its executor: at once when this thread is already
  /// there. For an answer that came after the asking call returned.
  void operator()(Value value) && {
    auto executor = std::move(executor_);
    executor->dispatch(bound(std::move(value)));
  }

  /// Runs the callable with `value` on its executor, later: never inside this call. For an
  /// answer known while the asking call is still running.
  void post(Value value) && {
    auto executor = std::move(executor_);
    executor->post(bound(std::move(value)));
  }

  const ContinuationExecutor& executor() const noexcept { return *executor_; }
  /// The executor, for a continuation of another step on the same one (a step that adapts an
  /// answer before handing it on).
  const std::shared_ptr<const ContinuationExecutor>& shared_executor() const noexcept { return executor_; }

 private:
  ContinuationExecutor::Job bound(Value value) {
    return [f = std::move(run_), v = std::move(value)]() mutable { std::move(f)(std::move(v)); };
  }

  std::shared_ptr<const ContinuationExecutor> executor_;
  detail::OnceFunction<void(Value)> run_;
};

}  // namespace governed
