#pragma once
/// @file
/// `transport::simulated`: the in-process provider for tests and benchmarks. Each attempt is
/// answered by the `sim::Provider` imitating the attempt's provider, on the governor's clock:
/// limits, dialects, headers and latency as the real provider, with no socket and no sleep
/// (the modelled latency is reported in `Reply::latency`). It streams too (`stream`,
/// `async_stream`): the provider's answer is cut into pieces (see sim/stream.hpp), and a test
/// can make a stream break off after k pieces (`sim::Provider::break_stream`).
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
#include <governed/transport/reply_reader.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/system_executor.hpp>

#include <cstddef>
#include <memory>
#include <string>
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
  /// Each reply's body is read in the simulated provider's dialect (`Reply::completion`,
  /// `Reply::error`), as `transport::http` reads a real one.
  static constexpr bool reads_replies = true;

  /// Answers attempts for each provider in `providers` (matched by `Config::provider`); an
  /// attempt for any other provider fails as a refused connection (nothing was sent).
  /// `ex` runs the completions of `async_send` (default: the system executor).
  simulated(const Clock& clock, std::vector<std::shared_ptr<sim::Provider>> providers,
            executor_type ex = boost::asio::system_executor{})
      : clock_(&clock), providers_(std::move(providers)), ex_(std::move(ex)) {}

  /// One attempt, answered at once.
  Reply send(const Attempt& a) {
    sim::ProviderReply r;
    const sim::Provider* p = answer(a, false, r);
    if (!p) return refused();
    Reply out;
    out.status = r.status;
    out.headers = std::move(r.headers);
    out.body = std::move(r.body);
    out.latency = r.latency;
    read_reply(out, p->entry().dialect);
    return out;
  }

  /// The same attempt, completing with `void(Reply)` through the handler's associated
  /// executor (default: this transport's). The provider answers when this is called — the
  /// attempt's borrowed request and key are not kept for later — and the completion is
  /// posted, never run inline, so a callback does not re-enter its caller. Without a token:
  /// `asio::deferred`'s operation (the provider still answers here, at the call).
  template <boost::asio::completion_token_for<void(Reply)> Token = boost::asio::deferred_t>
  auto async_send(const Attempt& a, Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(Reply)>(
        [ex = ex_](auto handler, Reply reply) {
          auto target = boost::asio::get_associated_executor(handler, ex);
          boost::asio::post(target, boost::asio::append(std::move(handler), std::move(reply)));
        },
        token, send(a));
  }

  /// One attempt, streamed: a refusal (429, 529, 401, …) comes back as from `send`, with
  /// `streamed` set and no piece shown; an accepted call hands each piece of the provider's
  /// answer to `on_chunk`, in order, inline on this thread, and returns 200 with `streamed`
  /// holding the text, the pieces shown, and the final usage when the provider sent one. A
  /// stream the provider broke off (`sim::Provider::break_stream`) returns after the pieces
  /// before the break with `failure` closed_early and no usage.
  Reply stream(const Attempt& a, const ChunkSink& on_chunk) {
    sim::ProviderReply r;
    const sim::Provider* p = answer(a, true, r);
    if (!p) return refused();
    return deliver(std::move(r), on_chunk, p->entry().dialect);
  }

  /// The same, asynchronous: the provider answers when this is called, then the pieces and
  /// the completion `void(Reply)` run together in one handler posted to the handler's
  /// associated executor (default: this transport's) — `on_chunk` runs there, never inline
  /// in this call, and every piece before the completion. Without a token: `asio::deferred`.
  template <boost::asio::completion_token_for<void(Reply)> Token = boost::asio::deferred_t>
  auto async_stream(const Attempt& a, ChunkSink on_chunk, Token&& token = {}) {
    sim::ProviderReply r;
    const sim::Provider* p = answer(a, true, r);
    const bool reached = p != nullptr;
    const providers::Dialect d = p ? p->entry().dialect : providers::Dialect::openai;
    return boost::asio::async_initiate<Token, void(Reply)>(
        [ex = ex_](auto handler, sim::ProviderReply reply, bool reached, providers::Dialect d, ChunkSink sink) {
          auto target = boost::asio::get_associated_executor(handler, ex);
          boost::asio::post(target, [reply = std::move(reply), reached, d, sink = std::move(sink),
                                     handler = std::move(handler)]() mutable {
            std::move(handler)(reached ? deliver(std::move(reply), sink, d) : refused());
          });
        },
        token, std::move(r), reached, d, std::move(on_chunk));
  }

  executor_type get_executor() const noexcept { return ex_; }

  /// The provider answering for `name`, or null.
  sim::Provider* find(std::string_view name) const noexcept {
    for (const auto& p : providers_)
      if (p && p->config().provider == name) return p.get();
    return nullptr;
  }

 private:
  /// The provider's answer to `a` in `out`, and the provider that answered; null when no
  /// simulated provider serves it.
  const sim::Provider* answer(const Attempt& a, bool stream, sim::ProviderReply& out) {
    sim::Provider* p = find(a.provider);
    if (!p) return nullptr;
    std::vector<providers::ChatMessage> messages;
    messages.reserve(a.request.messages.size());
    for (const auto& m : a.request.messages) messages.push_back({m.role, m.content});
    const sim::Call call{a.model, a.api_key, messages, a.request.max_tokens, a.request.n, stream, a.traceparent};
    out = p->handle(call, clock_->now(), clock_->wall_now());
    return p;
  }

  /// A provider nobody simulates: the connection is refused, nothing was sent.
  static Reply refused() {
    Reply out;
    out.failure = providers::NetworkFailure::connect_refused;
    return out;
  }

  /// A streamed answer handed to `on_chunk` piece by piece; a refusal's body read in `dialect`.
  static Reply deliver(sim::ProviderReply r, const ChunkSink& on_chunk, providers::Dialect dialect) {
    Reply out;
    out.status = r.status;
    out.headers = std::move(r.headers);
    out.body = std::move(r.body);
    out.latency = r.latency;
    Streamed& s = out.streamed.emplace();
    if (!r.stream) {  // refused before the stream began: classified as any reply
      read_reply(out, dialect);
      return out;
    }
    const std::size_t sent = r.stream->sent();
    for (std::size_t i = 0; i < sent; ++i) {
      const std::string& piece = r.stream->pieces[i];
      if (piece.empty()) continue;
      s.content += piece;
      ++s.chunks;
      if (on_chunk) on_chunk(piece);
    }
    if (r.stream->broken_after) out.failure = providers::NetworkFailure::closed_early;
    else s.usage = r.stream->usage;
    return out;
  }

  const Clock* clock_;
  std::vector<std::shared_ptr<sim::Provider>> providers_;
  executor_type ex_;
};

}  // namespace governed::transport
