#pragma once
/// @file
/// `transport::simulated`: the in-process provider for tests and benchmarks. Each attempt is
/// answered by the `sim::Provider` imitating the attempt's provider, on the governor's clock:
/// limits, dialects, headers and latency as the real provider, with no socket and no sleep
/// (the modelled latency is reported in `Reply::latency`).
///
/// ```cpp
/// clock::manual clock;
/// auto openai = sim::Provider::create({.provider = "openai",
///                                      .keys = {{.key = "sk-a", .account = "org-a"}},
///                                      .tier = "tier1"});
/// transport::simulated t{clock, {*openai}};
/// transport::Reply r = t.send(attempt);
/// ```

#include <governed/sim/provider.hpp>
#include <governed/transport/concept.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/system_executor.hpp>

#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::transport {

/// `Clock` is any governed clock (`now()`, `wall_now()`); it is borrowed and must outlive the
/// transport. Thread-safe: providers serialise their own state.
template <class Clock>
class simulated {
 public:
  using executor_type = boost::asio::any_io_executor;

  /// Answers attempts for each provider in `providers` (matched by `Config::provider`); an
  /// attempt for any other provider fails as a refused connection (nothing was sent).
  /// `ex` runs the completions of `async_send` (default: the system executor).
  simulated(const Clock& clock, std::vector<std::shared_ptr<sim::Provider>> providers,
            executor_type ex = boost::asio::system_executor{})
      : clock_(&clock), providers_(std::move(providers)), ex_(std::move(ex)) {}

  /// One attempt, answered at once.
  Reply send(const Attempt& a) {
    sim::Provider* p = find(a.provider);
    Reply out;
    if (!p) {
      out.failure = providers::NetworkFailure::connect_refused;
      return out;
    }
    std::vector<providers::ChatMessage> messages;
    messages.reserve(a.request.messages.size());
    for (const auto& m : a.request.messages) messages.push_back({m.role, m.content});
    const sim::Call call{a.model, a.api_key, messages, a.request.max_tokens, a.request.n};
    sim::Reply r = p->handle(call, clock_->now(), clock_->wall_now());
    out.status = r.status;
    out.headers = std::move(r.headers);
    out.body = std::move(r.body);
    out.latency = r.latency;
    return out;
  }

  /// The same attempt, completing with `void(Reply)` through the handler's associated
  /// executor (default: this transport's). The provider answers when this is called — the
  /// attempt's borrowed request and key are not kept for later — and the completion is
  /// posted, never run inline, so a callback does not re-enter its caller.
  template <boost::asio::completion_token_for<void(Reply)> Token =
                boost::asio::default_completion_token_t<executor_type>>
  auto async_send(const Attempt& a, Token&& token = Token{}) {
    return boost::asio::async_initiate<Token, void(Reply)>(
        [ex = ex_](auto handler, Reply reply) {
          auto target = boost::asio::get_associated_executor(handler, ex);
          boost::asio::post(target, boost::asio::append(std::move(handler), std::move(reply)));
        },
        token, send(a));
  }

  executor_type get_executor() const noexcept { return ex_; }

  /// The provider answering for `name`, or null.
  sim::Provider* find(std::string_view name) const noexcept {
    for (const auto& p : providers_)
      if (p && p->config().provider == name) return p.get();
    return nullptr;
  }

 private:
  const Clock* clock_;
  std::vector<std::shared_ptr<sim::Provider>> providers_;
  executor_type ex_;
};

}  // namespace governed::transport
