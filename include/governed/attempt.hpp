#pragma once
/// @file
/// What passes between `Governed` and a transport: the attempt going out (`Attempt`), the
/// reply coming back (`Reply`, with `Streamed` for a streamed one, and its body read in the
/// attempt's dialect: `completion`, `error`) and where streamed text goes (`ChunkSink`). The wire formats read and fill these too, so they sit below both
/// `transport/` and `wire/`; the concepts a transport meets are in transport/concept.hpp.

#include <governed/providers/completion.hpp>
#include <governed/providers/dialect.hpp>
#include <governed/providers/error_body.hpp>
#include <governed/providers/headers.hpp>
#include <governed/providers/network_failure.hpp>
#include <governed/providers/request_id.hpp>
#include <governed/providers/usage.hpp>
#include <governed/reasoning.hpp>
#include <governed/request.hpp>
#include <governed/tool_call.hpp>
#include <governed/time.hpp>

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
  /// The provider's dialect (its table entry's): how the request is written and the reply
  /// read. `Governed` sets it from the candidate it chose.
  providers::Dialect dialect = providers::Dialect::openai;
};

/// What a streamed reply delivered before it ended: the text the caller was shown, and the
/// usage the provider reported in its final event (OpenAI's `include_usage` chunk,
/// Anthropic's `message_delta`, Gemini's last `usageMetadata`), when it did; and what else the
/// answer held, put together from its pieces: its tool calls, a refusal, the model's
/// reasoning, and the provider's own reason the answer ended.
struct Streamed {
  std::string content;
  std::optional<providers::Usage> usage{};
  /// Pieces handed to the caller's `on_chunk`; once this is non-zero the call can not be
  /// retried, whatever happens next.
  std::uint32_t chunks = 0;
  std::vector<ToolCall> tool_calls{};
  std::string refusal{};
  std::vector<ReasoningBlock> reasoning{};
  std::string finish{};
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
  /// The provider's id for this request, from the header it names it in
  /// (`providers::request_id_of`: `x-request-id`, Anthropic's `request-id`, …), on a success,
  /// an error and a failed stream alike: read with `completion` and `error` below. Empty when
  /// the reply carried none. Beside `cancelled`, so a new reply's two flags are one store.
  providers::RequestId request_id{};
  /// A whole 2xx reply's text and usage, read from `body` in the attempt's dialect: by a
  /// transport that reads replies (transport/concept.hpp, `ReadsReplies`), else by `Governed`
  /// before the walk sees the reply (`transport::ReplyReader`). The walk reads this, never
  /// `body`. Empty when the body is not a readable reply (the walk then counts the prompt's
  /// estimate) and for a stream (`streamed` holds what it said).
  std::optional<providers::Completion> completion{};
  /// An error reply's fields (any status `providers::reads_error_body` accepts), read from
  /// `body` in the attempt's dialect like `completion`: what the classifier decides from.
  /// Empty for a success and a failure.
  std::optional<providers::ErrorBody> error{};

  /// The headers as the classifier reads them. Valid while this reply lives.
  std::vector<providers::Header> header_view() const {
    std::vector<providers::Header> out;
    out.reserve(headers.size());
    for (const auto& [k, v] : headers) out.push_back({k, v});
    return out;
  }
};

/// Where a streaming transport hands each piece of output text as it arrives.
using ChunkSink = std::function<void(std::string_view text)>;

}  // namespace governed::transport
