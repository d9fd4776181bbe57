#pragma once
/// @file
/// An Asio wait until a point of the real steady clock, shared by the clocks that follow real
/// time (`steady`, `coarse`, `scaled`; see clock/async_wait.hpp).

#include <boost/asio/async_result.hpp>
#include <boost/asio/consign.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <memory>

namespace governed::detail {

/// Completes with `void(error_code)` at `deadline`, or with `operation_aborted` when the
/// handler's cancellation slot is emitted. The timer lives exactly as long as the operation:
/// `consign` keeps it alive and keeps the handler's associations (executor, allocator,
/// cancellation slot), so `steady_timer` installs its own canceller only when a slot is
/// connected.
template <class Executor, class Token>
auto async_wait_real(const Executor& ex, std::chrono::steady_clock::time_point deadline,
                     Token&& token) {
  auto timer = std::make_shared<boost::asio::steady_timer>(ex, deadline);
  return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
      [](auto handler, std::shared_ptr<boost::asio::steady_timer> t) {
        auto& ref = *t;
        ref.async_wait(boost::asio::consign(std::move(handler), std::move(t)));
      },
      token, std::move(timer));
}

}  // namespace governed::detail
