#pragma once
/// @file
/// What a transport does for `Governed`: one attempt of one call, and the provider's reply.

#include <governed/providers/headers.hpp>
#include <governed/providers/classify.hpp>
#include <governed/providers/usage.hpp>
#include <governed/request.hpp>
#include <governed/time.hpp>

#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::transport {

/// One attempt: the request, the target chosen for it, and the key to send it with. The key
/// is borrowed for the attempt and never stored by a transport.
struct Attempt {
  const Request& request;
  std::string_view provider;
  std::string_view model;
  std::string_view base_url;
  std::string_view api_key;  ///< empty for a provider configured keyless: no auth header is sent
  /// The W3C `traceparent` header to send (the call's trace and span, see trace.hpp); empty:
  /// none. Borrowed like the key.
  std::string_view traceparent{};
};

/// What a streamed reply delivered before it ended: the text the caller was shown, and the
/// usage the provider reported in its final event (OpenAI's `include_usage` chunk,
/// Anthropic's `message_delta`, Gemini's last `usageMetadata`), when it did.
struct Streamed {
  std::string content;
  std::optional<providers::Usage> usage{};
  /// Pieces handed to the caller's `on_chunk`; once this is non-zero the call can not be
  /// retried, whatever happens next.
  std::uint32_t chunks = 0;
};

/// What came back, handed unchanged to the classifier: status, headers (names lower-case) and
/// body — or, when no reply arrived, why (`failure`: its kind also says whether the request
/// provably never reached the server, so a retry can not bill it twice).
struct Reply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::optional<providers::NetworkFailure> failure{};
  Duration latency{0};
  /// Set by a streaming send: what reached the caller. A reply that failed before the stream
  /// began (a 429, a refused connection) has `chunks == 0` and is classified like any other;
  /// its error body is in `body`.
  std::optional<Streamed> streamed{};
  /// With `failure`: what happened, in words for people (never a key) — "the reply's
  /// content-length (2147483648 bytes) is over the 16777216-byte limit".
  std::string failure_detail{};
  /// The caller cancelled the attempt (through its completion token's cancellation slot);
  /// `failure` then says how far it had got.
  bool cancelled = false;

  /// The headers as the classifier reads them. Valid while this reply lives.
  std::vector<providers::Header> header_view() const {
    std::vector<providers::Header> out;
    out.reserve(headers.size());
    for (const auto& [k, v] : headers) out.push_back({k, v});
    return out;
  }
};

/// A transport: `send(attempt)` makes one attempt and returns the reply (blocking).
/// Asynchronous transports also offer `async_send(attempt, token)` completing with
/// `void(Reply)`.
template <class T>
concept Transport = requires(T& t, const Attempt& a) {
  { t.send(a) } -> std::same_as<Reply>;
};

/// Where a streaming transport hands each piece of output text as it arrives.
using ChunkSink = std::function<void(std::string_view text)>;

/// A streaming transport also offers `stream(attempt, on_chunk)` (blocking), and
/// asynchronous ones `async_stream(attempt, on_chunk, token)` completing with `void(Reply)`:
/// the text goes to `on_chunk` piece by piece, and the final `Reply` carries `streamed`.
template <class T>
concept StreamingTransport = Transport<T> && requires(T& t, const Attempt& a, ChunkSink sink) {
  { t.stream(a, sink) } -> std::same_as<Reply>;
};

}  // namespace governed::transport
