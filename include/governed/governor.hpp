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
///
/// // Streamed: the text as it comes; the usage reconciled from the stream's final event.
/// auto streamed = g.stream(request, [](std::string_view piece) { std::cout << piece << std::flush; });
/// ```
///
/// Policies come in any order and any subset; each family has a default (`gcra`,
/// `exponential`, `round_robin`, `models_then_providers`, `steady`). The limiter and the
/// clock are the State's: `State<Limiter, Clock>` must match them.

#include <governed/backoff/concept.hpp>
#include <governed/backoff/exponential.hpp>
#include <governed/clock/concept.hpp>
#include <governed/clock/steady.hpp>
#include <governed/fallback/concept.hpp>
#include <governed/fallback/models_then_providers.hpp>
#include <governed/keys/concept.hpp>
#include <governed/keys/round_robin.hpp>
#include <governed/limiter/concept.hpp>
#include <governed/limiter/gcra.hpp>
#include <governed/policies.hpp>
#include <governed/state.hpp>
#include <governed/transport/concept.hpp>
#include <governed/walk.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/system_executor.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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

/// Defined by governed/async.hpp, which holds the bodies of `Governed::async_send` and
/// `async_stream` and the Asio composition they need: a program that only calls `send` does
/// not compile them. An asynchronous call asks for it first, so that a program that includes
/// core.hpp alone is told which header to add rather than what the compiler can not deduce.
template <class Token>
struct AsyncCallsDefined;

template <class Token>
concept async_calls_defined = requires { sizeof(AsyncCallsDefined<Token>); };

/// The walk's rule "never retried once output began" rests on `Streamed::chunks`: the count
/// of pieces that really reached the caller (`shown`) wins over a transport that reported
/// fewer, or no `streamed` at all.
inline transport::Reply counted(transport::Reply r, std::uint32_t shown) {
  if (!r.streamed) r.streamed.emplace();
  r.streamed->chunks = std::max(r.streamed->chunks, shown);
  return r;
}

}  // namespace detail

template <transport::Transport T, class... Policies>
class Governed {
  using Pack = PolicyPack<DefaultPolicies, Policies...>;

  // Each family's policy meets its family's concept; the message names what is missing.
  static_assert(limiter::RateLimiter<typename Pack::limiter>,
                "Governed: the limiter policy does not meet limiter::RateLimiter (limiter/concept.hpp): it "
                "needs a constructor from `Limit`, try_acquire, peek, reserve, cancel, refund, consume, sync, "
                "available, limit and a static derive");
  static_assert(backoff::Backoff<typename Pack::backoff>,
                "Governed: the backoff policy does not meet backoff::Backoff (backoff/concept.hpp): it must be "
                "default-constructible and copyable, with noexcept `next(const RetryState&, Random&)` returning "
                "std::optional<Duration>, noexcept `max_attempts()` and `validate()`");
  static_assert(keys::KeyPolicy<typename Pack::keys>,
                "Governed: the keys policy does not meet keys::KeyPolicy (keys/concept.hpp): it must be "
                "default-constructible, with noexcept `pick(keys, now, rng)` and `pick(keys, now, rng, avoid)` "
                "returning std::optional<std::size_t>, and noexcept `failed(index)`");
  static_assert(fallback::FallbackPolicy<typename Pack::fallback>,
                "Governed: the fallback policy does not meet fallback::FallbackPolicy (fallback/concept.hpp): it "
                "must be default-constructible and copyable, with `Candidates plan(const providers::Table&, "
                "const PlanInput&, Usable&&) const` for any callable `usable(provider, model)`");
  static_assert(clock::Clock<typename Pack::clock>,
                "Governed: the clock policy does not meet clock::Clock (clock/concept.hpp): it needs noexcept "
                "`now()` returning Instant, noexcept `wall_now()` returning WallTime, and `sleep_until(Instant)`");
  // The walk reads decoded replies only; reading a body takes the dialects' JSON readers,
  // which core.hpp leaves out (transport/concept.hpp, `ReplyReader`).
  static_assert(transport::ReadsReplies<T> || transport::HasReplyReader<T>,
                "Governed: the transport hands back undecoded replies: include <governed/transport/reply_reader.hpp> "
                "(governed.hpp does), or fill Reply::completion/error and declare "
                "`static constexpr bool reads_replies = true` (see transport::ReadsReplies)");

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

  /// A State of another limiter or clock: refused in words rather than with "no matching
  /// constructor". The limiter and the clock belong to the State, so a call site names the
  /// same ones as the State it uses.
  template <class StateLimiter, class StateClock>
    requires(!std::is_same_v<State<StateLimiter, StateClock>, state_type>)
  Governed(std::shared_ptr<State<StateLimiter, StateClock>>, std::shared_ptr<T>, backoff_type = {},
           fallback_type = {}, executor_type = boost::asio::system_executor{}) {
    static_assert(std::is_same_v<StateClock, clock_type>,
                  "Governed<..., clock::X> was given a State<..., clock::Y>: a call site uses its State's clock; "
                  "name the same clock in both (neither named: clock::steady)");
    static_assert(std::is_same_v<StateLimiter, limiter_type>,
                  "Governed<..., limiter::X> was given a State<limiter::Y, ...>: a call site uses its State's "
                  "limiter; name the same limiter in both (neither named: limiter::gcra)");
  }

  /// The call, blocking: sleeps on the State's clock while it waits for a limit or backs off.
  Result<Response> send(const Request& request) { return run(request, nullptr); }

  /// The call, streamed and blocking: governed like `send` — budgets, cache, limits, keys,
  /// backoff and fallback — while the answer's text goes to `on_chunk` piece by piece, in
  /// order, inline on this thread (from within the transport's `stream`). The `Response`
  /// holds the whole text, and the usage and cost of the stream's final event (when it
  /// reported none: the prompt's estimate and the streamed text's estimated tokens).
  ///
  /// A stream refused before its first piece (429, 529, a refused connection) is retried or
  /// falls back like any call, and `on_chunk` sees nothing of it. Once a piece was shown, a
  /// failure is returned as `Errc::io_error` and never retried: the caller already has part
  /// of the answer. An answer from the response cache (a cacheable request) is handed to
  /// `on_chunk` whole, as one piece.
  Result<Response> stream(const Request& request, transport::ChunkSink on_chunk) {
    static_assert(transport::StreamingTransport<T>,
                  "Governed::stream: the transport does not stream; it needs `Reply stream(const Attempt&, "
                  "ChunkSink)` (see transport::StreamingTransport), or call send()");
    if constexpr (transport::StreamingTransport<T>) return run(request, &on_chunk);
    else return tl::unexpected(Error{Errc::invalid_argument, "the transport does not stream", {}});
  }

  /// The call, asynchronous: completes with `void(Result<Response>)` through any Asio
  /// completion token (a callback, `use_future`, `use_awaitable`, `deferred`). Without a
  /// token it returns `asio::deferred`'s operation: nothing is sent until it is launched with
  /// a token (`co_await g.async_send(r)(asio::use_awaitable)`, `g.async_send(r)(callback)`).
  ///
  /// The handler never runs inside this call: a result known at once (a cache hit, a budget
  /// refusal, a full wait line) completes as if by `asio::post` to the handler's associated
  /// executor (without one: this call site's). Every other result completes there too.
  ///
  /// The token's cancellation slot stops a wait at once — the call ends with
  /// `Errc::cancelled`, its place in a wait line and its budget holds given back — and reaches
  /// the attempt in flight, which a transport that honours it (`transport::http`) stops,
  /// ending the call the same way.
  template <boost::asio::completion_token_for<void(Result<Response>)> Token = boost::asio::deferred_t>
  auto async_send(Request request, Token&& token = {}) {
    static_assert(detail::async_calls_defined<Token>,
                  "Governed::async_send is defined in <governed/async.hpp>: include it (governed.hpp does)");
    return initiate_send(std::move(request), std::forward<Token>(token));
  }

  /// The call, streamed and asynchronous: `stream` through any Asio completion token,
  /// completing with `void(Result<Response>)`, with `async_send`'s cancellation: a waiting
  /// call stops at once with `Errc::cancelled`, and so does a stream under way when its
  /// transport honours the slot (`transport::http` does; `transport::simulated` answers at
  /// once, so there is nothing to stop).
  ///
  /// `on_chunk` runs on the completion handler's associated executor (without one: this call
  /// site's executor), through a strand: pieces in order, never two at once, every piece
  /// before the completion — whichever thread the transport reads on. With a transport that
  /// only has the blocking `stream`, that call runs where the walk runs and its pieces are
  /// handed over the same way.
  ///
  /// Like `async_send`: without a token, a deferred operation; the handler (and `on_chunk`)
  /// never run inside this call.
  template <boost::asio::completion_token_for<void(Result<Response>)> Token = boost::asio::deferred_t>
  auto async_stream(Request request, transport::ChunkSink on_chunk, Token&& token = {}) {
    static_assert(transport::StreamingTransport<T>,
                  "Governed::async_stream: the transport does not stream; it needs `Reply stream(const "
                  "Attempt&, ChunkSink)` (see transport::StreamingTransport), or call async_send()");
    static_assert(detail::async_calls_defined<Token>,
                  "Governed::async_stream is defined in <governed/async.hpp>: include it (governed.hpp does)");
    return initiate_stream(std::move(request), std::move(on_chunk), std::forward<Token>(token));
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

  /// The blocking walk; with `on_chunk`, each attempt streams.
  Result<Response> run(const Request& request, transport::ChunkSink* on_chunk) {
    // The walk builds its outcome here, and every return below returns this object: the
    // Response reaches the caller without a move.
    Result<Response> outcome;
    Walk<state_type, backoff_type, keys_type, fallback_type> walk(*state_, backoff_, *keys_, *fallback_,
                                                                  std::cref(request));
    walk.deliver_into(outcome);
    for (WalkStep step = walk.start();;) {
      switch (step) {
        case WalkStep::wait:
          state_->clock().sleep_until(walk.wake_at());
          step = walk.resume();
          break;
        case WalkStep::send: {
          const transport::Attempt attempt = walk.attempt();
          if constexpr (transport::StreamingTransport<T>) {
            if (on_chunk) {
              std::uint32_t shown = 0;
              // Two references: std::function keeps them without allocating.
              const transport::ChunkSink sink = [&shown, on_chunk](std::string_view piece) {
                if (piece.empty()) return;
                ++shown;
                if (*on_chunk) (*on_chunk)(piece);
              };
              step = walk.on_reply(detail::counted(decoded(transport_->stream(attempt, sink), attempt), shown));
              break;
            }
          }
          step = walk.on_reply(decoded(transport_->send(attempt), attempt));
          break;
        }
        case WalkStep::ask:  // never asked for: this walk admits on this thread
          outcome = fail(Errc::invalid_argument, "a blocking walk was asked to admit asynchronously");
          return outcome;
        case WalkStep::done:
          if (on_chunk && *on_chunk && outcome && outcome->from_cache && !outcome->content.empty())
            (*on_chunk)(outcome->content);
          return outcome;
      }
    }
  }

  /// `reply` as the walk reads it: a transport that hands back bytes only has its body read
  /// here, in the attempt's dialect, into `completion` / `error` (`transport::ReplyReader`); one
  /// that reads its replies has done so. Every driver hands each reply through this once.
  /// Returns the same reply, so that no driver moves it.
  static transport::Reply&& decoded(transport::Reply&& reply, [[maybe_unused]] const transport::Attempt& attempt) {
    if constexpr (!transport::ReadsReplies<T>) transport::ReplyReader<T>::read(reply, attempt);
    return std::move(reply);
  }

  template <class P>
  void set_policy(P p) {
    if constexpr (std::is_same_v<P, backoff_type>) backoff_ = std::move(p);
    else if constexpr (std::is_same_v<P, fallback_type>) fallback_ = std::make_shared<const fallback_type>(std::move(p));
    else if constexpr (std::is_same_v<P, keys_type>) keys_ = std::make_shared<keys_type>(std::move(p));
  }

  // The asynchronous calls' parts, defined in governed/async.hpp.
  template <class Token>
  auto initiate_send(Request request, Token&& token);
  template <class Token>
  auto initiate_stream(Request request, transport::ChunkSink on_chunk, Token&& token);
  struct NoStream;
  struct StreamSide;
  template <class Handler, bool Streaming = false>
  struct AsyncOp;

  std::shared_ptr<state_type> state_;
  std::shared_ptr<T> transport_;
  backoff_type backoff_;
  std::shared_ptr<keys_type> keys_;
  std::shared_ptr<const fallback_type> fallback_;
  executor_type ex_;
};

}  // namespace governed
