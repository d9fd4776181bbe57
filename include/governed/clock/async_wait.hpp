#pragma once
/// @file
/// The clocks' Asio waits: `async_wait_until(executor, instant, token)` of `steady`,
/// `coarse`, `scaled` and `manual`, completing with `void(boost::system::error_code)`.
///
/// Each clock declares its wait and this header defines it, so reading time, sleeping and
/// limiting need no Asio: a limiter, a limit set or a clock's own header stays light, and only
/// a caller that waits asynchronously (`Governed`'s asynchronous calls, the simulator's
/// server) includes this one.

#include <governed/clock/coarse.hpp>
#include <governed/clock/detail/steady_point.hpp>
#include <governed/clock/detail/timer_wait.hpp>
#include <governed/clock/manual.hpp>
#include <governed/clock/scaled.hpp>
#include <governed/clock/steady.hpp>
#include <governed/time.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace governed::clock {

// steady and coarse run on CLOCK_MONOTONIC: a steady timer waits for the instant itself.

template <class Executor, class Token>
auto steady::async_wait_until(const Executor& ex, Instant t, Token&& token) const {
  return detail::async_wait_real(ex, detail::steady_point(t), std::forward<Token>(token));
}

template <class Executor>
auto steady::async_wait_until(const Executor& ex, Instant t) const {
  return async_wait_until(ex, t, boost::asio::default_completion_token_t<Executor>{});
}

template <class Executor, class Token>
auto coarse::async_wait_until(const Executor& ex, Instant t, Token&& token) const {
  return detail::async_wait_real(ex, detail::steady_point(t), std::forward<Token>(token));
}

template <class Executor>
auto coarse::async_wait_until(const Executor& ex, Instant t) const {
  return async_wait_until(ex, t, boost::asio::default_completion_token_t<Executor>{});
}

// scaled waits for the real instant at which its time reaches `t`.

template <class Executor, class Token>
auto scaled::async_wait_until(const Executor& ex, Instant t, Token&& token) const {
  return detail::async_wait_real(ex, to_real(t), std::forward<Token>(token));
}

template <class Executor>
auto scaled::async_wait_until(const Executor& ex, Instant t) const {
  return async_wait_until(ex, t, boost::asio::default_completion_token_t<Executor>{});
}

// manual parks the handler until the test moves time to `t` (or cancels it).

template <class Handler>
struct manual::AsyncWaiter final : manual::Waiter {
  AsyncWaiter(Instant d, Handler h, boost::asio::any_io_executor ex)
      : Waiter(d, true), handler(std::move(h)), work(boost::asio::make_work_guard(std::move(ex))) {}

  void listen_for_cancel(manual& clock, Key key) override {
    auto slot = boost::asio::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) {
      slot.assign([&clock, key](boost::asio::cancellation_type) { clock.cancel(key); });
    }
  }

  void complete(bool aborted) override {
    // A normal completion detaches our canceller. A cancelled one runs inside that very
    // canceller, which must not destroy itself; it is harmless once the waiter is gone.
    if (!aborted) {
      auto slot = boost::asio::get_associated_cancellation_slot(handler);
      if (slot.is_connected()) slot.clear();
    }
    const boost::system::error_code ec =
        aborted ? boost::system::error_code(boost::asio::error::operation_aborted) : boost::system::error_code{};
    // post() runs the handler on its associated executor, the waiter's executor otherwise.
    // The work guard goes only after the post: dropping the last unit of work first would
    // stop an io_context that is not running yet.
    boost::asio::post(work.get_executor(), boost::asio::append(std::move(handler), ec));
    work.reset();
  }

  Handler handler;
  boost::asio::executor_work_guard<boost::asio::any_io_executor> work;
};

template <class Executor, class Token>
auto manual::async_wait_until(const Executor& ex, Instant t, Token&& token) {
  return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
      [this](auto handler, boost::asio::any_io_executor io_ex, Instant deadline) {
        using H = std::decay_t<decltype(handler)>;
        park(std::make_unique<AsyncWaiter<H>>(deadline, std::move(handler), std::move(io_ex)));
      },
      token, boost::asio::any_io_executor(ex), t);
}

template <class Executor>
auto manual::async_wait_until(const Executor& ex, Instant t) {
  return async_wait_until(ex, t, boost::asio::default_completion_token_t<Executor>{});
}

}  // namespace governed::clock
