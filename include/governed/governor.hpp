#pragma once
/// @file
/// `Governed<Transport, Policies...>`: every call rate limited, retried, rotated, fallen back
/// and counted — the composition of the policies over one shared `State`.
///
/// ```cpp
/// auto state = governed::State<>::create(config).value();
/// governed::Governed<governed::transport::http> g{state, transport};
/// auto reply = g.send({.provider = "groq", .model = "llama-3.3-70b-versatile",
///                      .messages = {{"user", "Summarise this page"}}});
/// if (!reply) show(reply.error().message);  // "All alternative providers are rate limited…"
///
/// auto fast = g.with<governed::backoff::none>();  // same limits, cooldowns, keys, budgets
/// ```
///
/// Policies come in any order and any subset; each family has a default (`gcra`,
/// `exponential`, `round_robin`, `models_then_providers`, `steady`). The limiter and the
/// clock are the State's: `State<Limiter, Clock>` must match them.

#include <governed/backoff/exponential.hpp>
#include <governed/clock/steady.hpp>
#include <governed/fallback/models_then_providers.hpp>
#include <governed/keys/round_robin.hpp>
#include <governed/limiter/gcra.hpp>
#include <governed/policies.hpp>
#include <governed/state.hpp>
#include <governed/transport/concept.hpp>
#include <governed/walk.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/system_executor.hpp>

#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

namespace governed {

/// The policy of each family a `Governed` takes when none is given.
struct DefaultPolicies {
  using limiter = limiter::gcra;
  using backoff = backoff::exponential;
  using keys = keys::round_robin;
  using fallback = fallback::models_then_providers;
  using clock = clock::steady;
};

namespace detail {

template <class T>
concept AsyncTransport = requires(T& t, const transport::Attempt& a) {
  t.async_send(a, [](transport::Reply) {});
};

}  // namespace detail

template <transport::Transport T, class... Policies>
class Governed {
  using Pack = PolicyPack<DefaultPolicies, Policies...>;

 public:
  using limiter_type = typename Pack::limiter;
  using backoff_type = typename Pack::backoff;
  using keys_type = typename Pack::keys;
  using fallback_type = typename Pack::fallback;
  using clock_type = typename Pack::clock;
  using state_type = State<limiter_type, clock_type>;
  using transport_type = T;
  using executor_type = boost::asio::any_io_executor;

  /// A call site over `state` sending through `transport` (shared with every rebinding).
  /// `backoff` and `fallback` carry the policies' parameters; `ex` runs the completions of
  /// `async_send` whose token has no executor of its own.
  Governed(std::shared_ptr<state_type> state, std::shared_ptr<T> transport, backoff_type backoff = {},
           fallback_type fallback = {}, executor_type ex = boost::asio::system_executor{})
      : state_(std::move(state)),
        transport_(std::move(transport)),
        backoff_(backoff),
        keys_(std::make_shared<keys_type>()),
        fallback_(std::make_shared<const fallback_type>(std::move(fallback))),
        ex_(std::move(ex)) {}

  /// The call, blocking: sleeps on the State's clock while it waits for a limit or backs off.
  Result<Response> send(Request request) {
    Walk<state_type, backoff_type, keys_type, fallback_type> walk(*state_, backoff_, *keys_, *fallback_,
                                                                  std::move(request));
    for (WalkStep step = walk.start();;) {
      switch (step) {
        case WalkStep::wait:
          state_->clock().sleep_until(walk.wake_at());
          step = walk.resume();
          break;
        case WalkStep::send:
          step = walk.on_reply(transport_->send(walk.attempt()));
          break;
        case WalkStep::done: return walk.take_result();
      }
    }
  }

  /// The call, asynchronous: completes with `void(Result<Response>)` through any Asio
  /// completion token (a callback, `use_future`, `use_awaitable`, `deferred`). The token's
  /// cancellation slot stops a wait at once — the call ends with `Errc::cancelled`, its place
  /// in a wait line and its budget holds given back.
  template <boost::asio::completion_token_for<void(Result<Response>)> Token>
  auto async_send(Request request, Token&& token) {
    return boost::asio::async_initiate<Token, void(Result<Response>)>(
        [self = *this](auto handler, Request req) mutable {
          auto op = std::make_shared<AsyncOp<std::decay_t<decltype(handler)>>>(self, std::move(req), std::move(handler));
          op->run(op->walk.start());
        },
        token, std::move(request));
  }

  /// The same call site with `News` replacing the policies of their families, sharing this
  /// one's State (limits, cooldowns, key health, budgets, statistics, cache) and transport.
  template <class... News>
  auto with() const {
    using Rebound = typename pack_from<DefaultPolicies, typename Pack::template with<News...>>::type;
    static_assert(std::is_same_v<typename Rebound::limiter, limiter_type>,
                  "Governed::with: the limiter belongs to the State; use another State for another limiter");
    static_assert(std::is_same_v<typename Rebound::clock, clock_type>,
                  "Governed::with: the clock belongs to the State; use another State for another clock");
    return rebind<typename Pack::template with<News...>>();
  }

  /// The same, with the rebound policies' parameters given.
  template <class... News>
  auto with(News... policies) const {
    auto g = with<News...>();
    (g.set_policy(std::move(policies)), ...);
    return g;
  }

  state_type& state() const noexcept { return *state_; }
  const std::shared_ptr<state_type>& shared_state() const noexcept { return state_; }
  T& transport() const noexcept { return *transport_; }
  const backoff_type& backoff() const noexcept { return backoff_; }
  executor_type get_executor() const noexcept { return ex_; }

 private:
  template <transport::Transport, class...>
  friend class Governed;

  template <class Tuple>
  auto rebind() const {
    return [&]<class... Ps>(std::tuple<Ps...>*) {
      using G = Governed<T, Ps...>;
      G g(state_, transport_, {}, {}, ex_);
      if constexpr (std::is_same_v<typename G::backoff_type, backoff_type>) g.backoff_ = backoff_;
      if constexpr (std::is_same_v<typename G::keys_type, keys_type>) g.keys_ = keys_;
      if constexpr (std::is_same_v<typename G::fallback_type, fallback_type>) g.fallback_ = fallback_;
      return g;
    }(static_cast<Tuple*>(nullptr));
  }

  template <class P>
  void set_policy(P p) {
    if constexpr (std::is_same_v<P, backoff_type>) backoff_ = std::move(p);
    else if constexpr (std::is_same_v<P, fallback_type>) fallback_ = std::make_shared<const fallback_type>(std::move(p));
    else if constexpr (std::is_same_v<P, keys_type>) keys_ = std::make_shared<keys_type>(std::move(p));
  }

  /// One asynchronous call: the walk, and what keeps its policies and state alive.
  template <class Handler>
  struct AsyncOp : std::enable_shared_from_this<AsyncOp<Handler>> {
    AsyncOp(const Governed& g, Request req, Handler h)
        : owner(g), walk(*owner.state_, owner.backoff_, *owner.keys_, *owner.fallback_, std::move(req)),
          handler(std::move(h)) {}

    void run(WalkStep step) {
      switch (step) {
        case WalkStep::done: return complete();
        case WalkStep::wait: {
          auto slot = boost::asio::get_associated_cancellation_slot(handler);
          auto ex = boost::asio::get_associated_executor(handler, owner.ex_);
          auto cb = [self = this->shared_from_this()](boost::system::error_code ec) {
            if (ec) self->run(self->walk.abort(ec == boost::asio::error::operation_aborted
                                                   ? Error{Errc::cancelled, "The call was cancelled.", {}}
                                                   : Error{Errc::io_error, "A timer failed: " + ec.message(), {}}));
            else self->run(self->walk.resume());
          };
          if (slot.is_connected())
            owner.state_->clock().async_wait_until(ex, walk.wake_at(), boost::asio::bind_cancellation_slot(slot, std::move(cb)));
          else
            owner.state_->clock().async_wait_until(ex, walk.wake_at(), std::move(cb));
          return;
        }
        case WalkStep::send:
          if constexpr (detail::AsyncTransport<T>) {
            // The walk goes on where the caller's handler runs (its strand, its io_context),
            // not on whatever executor the transport completes on.
            auto ex = boost::asio::get_associated_executor(handler, owner.ex_);
            owner.transport_->async_send(
                walk.attempt(), boost::asio::bind_executor(ex, [self = this->shared_from_this()](transport::Reply r) {
                  self->run(self->walk.on_reply(std::move(r)));
                }));
          } else {
            run(walk.on_reply(owner.transport_->send(walk.attempt())));
          }
          return;
      }
    }

    void complete() {
      auto ex = boost::asio::get_associated_executor(handler, owner.ex_);
      boost::asio::dispatch(ex, boost::asio::append(std::move(handler), walk.take_result()));
    }

    Governed owner;
    Walk<state_type, backoff_type, keys_type, fallback_type> walk;
    Handler handler;
  };

  std::shared_ptr<state_type> state_;
  std::shared_ptr<T> transport_;
  backoff_type backoff_;
  std::shared_ptr<keys_type> keys_;
  std::shared_ptr<const fallback_type> fallback_;
  executor_type ex_;
};

}  // namespace governed
