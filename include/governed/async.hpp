#pragma once
/// @file
/// The asynchronous calls of `Governed`: the bodies of `async_send` and `async_stream`
/// (declared, with what they promise, in governor.hpp) and the operation each call runs,
/// `AsyncOp`, over Asio's composition machinery and the clocks' timer waits
/// (clock/async_wait.hpp). governed.hpp includes this header; a program that includes
/// core.hpp alone includes it to call asynchronously, and is told so when it does not.

#include <governed/asio_continuation.hpp>
#include <governed/clock/async_wait.hpp>
#include <governed/governor.hpp>
#include <governed/request.hpp>
#include <governed/result.hpp>
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
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace governed {

namespace detail {

/// Present: `Governed::async_send` and `async_stream` may be called (see governor.hpp).
template <class Token>
struct AsyncCallsDefined {};

template <class T>
concept AsyncTransport = requires(T& t, const transport::Attempt& a) {
  t.async_send(a, [](transport::Reply) {});
};

template <class T>
concept AsyncStreamingTransport = requires(T& t, const transport::Attempt& a, transport::ChunkSink sink) {
  t.async_stream(a, std::move(sink), [](transport::Reply) {});
};

}  // namespace detail

template <transport::Transport T, class... Policies>
template <class Token>
auto Governed<T, Policies...>::initiate_send(Request request, Token&& token) {
  return boost::asio::async_initiate<Token, void(Result<Response>)>(
      [self = *this](auto handler, Request req) mutable {
        auto op = std::make_shared<AsyncOp<std::decay_t<decltype(handler)>>>(self, std::move(req), std::move(handler));
        op->initiate();
      },
      token, std::move(request));
}

template <transport::Transport T, class... Policies>
template <class Token>
auto Governed<T, Policies...>::initiate_stream(Request request, transport::ChunkSink on_chunk, Token&& token) {
  return boost::asio::async_initiate<Token, void(Result<Response>)>(
      [self = *this](auto handler, Request req, transport::ChunkSink sink) mutable {
        auto op = std::make_shared<AsyncOp<std::decay_t<decltype(handler)>, true>>(self, std::move(req),
                                                                                 std::move(handler), std::move(sink));
        op->initiate();
      },
      token, std::move(request), std::move(on_chunk));
}

template <transport::Transport T, class... Policies>
struct Governed<T, Policies...>::NoStream {};

/// What a streamed call adds to its operation: the caller's sink, the strand that keeps the
/// pieces and the end of each attempt in order on the caller's executor, and the pieces
/// shown in the current attempt (touched only on the strand).
template <transport::Transport T, class... Policies>
struct Governed<T, Policies...>::StreamSide {
  transport::ChunkSink on_chunk;
  std::optional<boost::asio::strand<executor_type>> strand{};
  std::uint32_t shown = 0;
  /// The text shown in the current attempt: what a cancelled stream is charged for when
  /// its transport hands back none of it.
  std::string text{};
};

/// One asynchronous call: the walk, and what keeps its policies and state alive.
/// `Streaming`: each attempt streams (`async_stream`), and the pieces go to the caller.
template <transport::Transport T, class... Policies>
template <class Handler, bool Streaming>
struct Governed<T, Policies...>::AsyncOp : std::enable_shared_from_this<AsyncOp<Handler, Streaming>> {
  AsyncOp(const Governed& g, Request req, Handler h)
      : owner(g), walk(*owner.state_, owner.backoff_, *owner.keys_, *owner.fallback_, std::move(req)),
        handler(std::move(h)) {
    walk.admit_asynchronously();
  }

  AsyncOp(const Governed& g, Request req, Handler h, transport::ChunkSink sink)
    requires Streaming
      : owner(g), walk(*owner.state_, owner.backoff_, *owner.keys_, *owner.fallback_, std::move(req)),
        handler(std::move(h)), side{std::move(sink)} {
    walk.admit_asynchronously();
  }

  executor_type handler_executor() const { return boost::asio::get_associated_executor(handler, owner.ex_); }

  /// The walk's first steps, inside the initiating function. What completes before it
  /// returns (a cache hit, a budget refusal, an attempt a blocking transport answered) is
  /// posted, never run here: Boost 1.81 has no immediate executor to ask the caller with.
  void initiate() {
    run(walk.start());
    initiating.store(false, std::memory_order_release);
  }

  /// Hands `f` to `ex`: posted while the call is being initiated (the caller's stack may
  /// hold a lock, or expect the handler later), dispatched once it runs on its own.
  template <class Executor, class F>
  void deliver(const Executor& ex, F&& f) {
    if (initiating.load(std::memory_order_acquire)) boost::asio::post(ex, std::forward<F>(f));
    else boost::asio::dispatch(ex, std::forward<F>(f));
  }

  void run(WalkStep step) {
    switch (step) {
      case WalkStep::done: return complete();
      case WalkStep::ask: {
        // The limit set lives in a shared store: its answer comes back on the caller's
        // executor, and no thread waits for it meanwhile.
        walk.ask_shared(continuation_on<Result<Admission>>(handler_executor(), [self = this->shared_from_this()](
                                                                                   Result<Admission> a) {
          self->run(self->walk.on_answer(std::move(a)));
        }));
        return;
      }
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
        if constexpr (Streaming) {
          if constexpr (transport::StreamingTransport<T>) stream_attempt();
        } else if constexpr (detail::AsyncTransport<T>) {
          // The walk goes on where the caller's handler runs (its strand, its io_context),
          // not on whatever executor the transport completes on.
          auto ex = boost::asio::get_associated_executor(handler, owner.ex_);
          with_slot(boost::asio::bind_executor(ex, [self = this->shared_from_this()](transport::Reply r) {
                      self->end_attempt(std::move(r));
                    }),
                    [&](auto done) { owner.transport_->async_send(walk.attempt(), std::move(done)); });
        } else {
          run(walk.on_reply(decoded(owner.transport_->send(walk.attempt()), walk.attempt())));
        }
        return;
    }
  }

  boost::asio::strand<executor_type>& strand() {
    if (!side.strand) side.strand.emplace(boost::asio::make_strand(handler_executor()));
    return *side.strand;
  }

  /// One streamed attempt: its pieces and its end both pass through the strand, so the
  /// walk reads the reply after every piece of it was shown.
  void stream_attempt() {
    auto& st = strand();
    side.shown = 0;
    side.text.clear();
    auto self = this->shared_from_this();
    // Weak: the completion handler keeps the operation alive while the attempt runs, and a
    // transport that keeps its sink after that must not keep the call (and its State) too.
    transport::ChunkSink sink = [weak = std::weak_ptr<AsyncOp>(self)](std::string_view piece) {
      if (auto op = weak.lock()) op->forward(piece);
    };
    if constexpr (detail::AsyncStreamingTransport<T>) {
      with_slot(boost::asio::bind_executor(st, [self](transport::Reply r) { self->end_attempt(std::move(r)); }),
                [&](auto done) { owner.transport_->async_stream(walk.attempt(), std::move(sink), std::move(done)); });
    } else {
      transport::Reply r = owner.transport_->stream(walk.attempt(), sink);
      boost::asio::dispatch(st, [self, r = std::move(r)]() mutable { self->end_attempt(std::move(r)); });
    }
  }

  void forward(std::string_view piece) {
    if (piece.empty()) return;
    if (strand().running_in_this_thread()) show(piece);
    else boost::asio::post(strand(), [self = this->shared_from_this(), text = std::string(piece)] { self->show(text); });
  }

  void show(std::string_view piece) {
    ++side.shown;
    side.text += piece;
    if (side.on_chunk) side.on_chunk(piece);
  }

  /// Hands `done` to `start` carrying the caller's cancellation slot, when it has one: a
  /// transport that honours it stops the attempt in flight and answers `Reply::cancelled`.
  template <class Done, class Start>
  void with_slot(Done done, Start&& start) {
    auto slot = boost::asio::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) start(boost::asio::bind_cancellation_slot(slot, std::move(done)));
    else start(std::move(done));
  }

  /// The end of one attempt. Cancelled by the caller: the call ends so, never retried (and
  /// a stream it had already seen part of is charged for that part).
  void end_attempt(transport::Reply r) {
    if (r.cancelled) {
      if constexpr (Streaming) {
        if (side.shown > 0) {
          r = detail::counted(std::move(r), side.shown);
          if (r.streamed->content.size() < side.text.size()) r.streamed->content = side.text;
        }
      }
      return run(walk.cancel(r, Error{Errc::cancelled, "The call was cancelled.", {}}));
    }
    if constexpr (Streaming) run(walk.on_reply(detail::counted(decoded(std::move(r), walk.attempt()), side.shown)));
    else run(walk.on_reply(decoded(std::move(r), walk.attempt())));
  }

  void complete() {
    if constexpr (Streaming) {
      // Through the strand: after the last piece; a cached answer is shown whole first.
      deliver(strand(), [self = this->shared_from_this()] {
        Result<Response> r = self->walk.take_result();
        if (r && r->from_cache && !r->content.empty()) self->show(r->content);
        auto ex = self->handler_executor();
        boost::asio::dispatch(ex, boost::asio::append(std::move(self->handler), std::move(r)));
      });
    } else {
      auto ex = handler_executor();  // before the handler moves
      deliver(ex, boost::asio::append(std::move(handler), walk.take_result()));
    }
  }

  Governed owner;
  Walk<state_type, backoff_type, keys_type, fallback_type> walk;
  Handler handler;
  [[no_unique_address]] std::conditional_t<Streaming, StreamSide, NoStream> side{};
  /// True until `initiate` returns; read by whichever thread completes the call.
  std::atomic<bool> initiating{true};
};

}  // namespace governed
