#pragma once
/// @file
/// What a transport does for `Governed`: one attempt of one call, and the provider's reply.
/// Writing a transport needs this header only; the types it trades in are in attempt.hpp.

#include <governed/attempt.hpp>

#include <concepts>

namespace governed::transport {

/// A transport: `send(attempt)` makes one attempt and returns the reply (blocking).
/// Asynchronous transports also offer `async_send(attempt, token)` completing with
/// `void(Reply)`.
template <class T>
concept Transport = requires(T& t, const Attempt& a) {
  { t.send(a) } -> std::same_as<Reply>;
};

/// A streaming transport also offers `stream(attempt, on_chunk)` (blocking), and
/// asynchronous ones `async_stream(attempt, on_chunk, token)` completing with `void(Reply)`:
/// the text goes to `on_chunk` piece by piece, and the final `Reply` carries `streamed`.
template <class T>
concept StreamingTransport = Transport<T> && requires(T& t, const Attempt& a, ChunkSink sink) {
  { t.stream(a, sink) } -> std::same_as<Reply>;
};

/// A transport that reads the replies it hands back: it fills `Reply::completion` (a whole
/// 2xx reply) and `Reply::error` (an error status) in the attempt's dialect, so `Governed`
/// reads neither body again. It says so with `static constexpr bool reads_replies = true;`.
template <class T>
concept ReadsReplies = Transport<T> && requires {
  requires T::reads_replies;
};

}  // namespace governed::transport
