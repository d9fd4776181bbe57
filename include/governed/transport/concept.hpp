#pragma once
/// @file
/// What a transport does for `Governed`: one attempt of one call, and the provider's reply.
/// Writing a transport needs this header only; the types it trades in are in attempt.hpp. A
/// transport that hands back bytes only also needs `ReplyReader`'s definition where `Governed`
/// is used: transport/reply_reader.hpp (governed.hpp includes it).

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

/// How `Governed` reads the replies of a transport `T` that hands back bytes only (not
/// `ReadsReplies<T>`): `ReplyReader<T>::read(Reply&, const Attempt&)` fills `completion` and
/// `error` from the body, in the attempt's dialect. Declared here, defined in
/// transport/reply_reader.hpp: reading a body takes the dialects' JSON readers, which a
/// transport that reads its own replies, and core.hpp, never pay for. A template of the
/// transport so that whether it is defined is asked where `Governed<T>` is instantiated, and a
/// missing include is a readable error there (`HasReplyReader`).
template <class T>
struct ReplyReader;

/// Whether `ReplyReader<T>` is defined where this is asked: transport/reply_reader.hpp was
/// included.
template <class T>
concept HasReplyReader = requires { sizeof(ReplyReader<T>); };

}  // namespace governed::transport
