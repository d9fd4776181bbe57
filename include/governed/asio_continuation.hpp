#pragma once
/// @file
/// Continuations (continuation.hpp) on an Asio executor: `continuation_on<Value>(executor, f)`
/// runs `f` there, dispatched or posted as the answering step asks, and a store that does its
/// I/O on Asio finds the executor with `done.executor().get<boost::asio::any_io_executor>()`.

#include <governed/continuation.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <memory>
#include <typeinfo>
#include <utility>

namespace governed {

/// An Asio executor (an io_context's, a strand, a thread pool's) as a continuation's executor.
class AsioContinuationExecutor final : public ContinuationExecutor {
 public:
  explicit AsioContinuationExecutor(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  void dispatch(Job job) const override { boost::asio::dispatch(executor_, Runner{std::move(job)}); }
  void post(Job job) const override { boost::asio::post(executor_, Runner{std::move(job)}); }

 private:
  /// Asio calls its handlers as lvalues; a job runs once, as an rvalue.
  struct Runner {
    Job job;
    void operator()() { std::move(job)(); }
  };

  const void* find(const std::type_info& type) const noexcept override {
    return type == typeid(boost::asio::any_io_executor) ? &executor_ : nullptr;
  }

  boost::asio::any_io_executor executor_;
};

/// A continuation that runs `f(Value)` on `executor`.
template <class Value, class F>
Continuation<Value> continuation_on(boost::asio::any_io_executor executor, F&& f) {
  return Continuation<Value>(std::make_shared<const AsioContinuationExecutor>(std::move(executor)),
                           std::forward<F>(f));
}

}  // namespace governed
