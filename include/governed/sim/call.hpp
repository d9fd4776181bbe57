#pragma once
/// @file
/// What a simulated provider receives (`sim::Call`) and answers (`sim::ProviderReply`),
/// independent of how it travelled: the in-process transport and the loopback HTTP server
/// both map to these.

#include <governed/dialect/request_body.hpp>
#include <governed/providers/headers.hpp>
#include <governed/providers/tokens.hpp>
#include <governed/sim/stream.hpp>
#include <governed/time.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::sim {

/// One request as the provider sees it: the model, the key it was sent with (borrowed,
/// compared, never stored), the messages and the output asked for, and whether the answer is
/// to be streamed.
struct Call {
  std::string_view model;
  std::string_view api_key;
  std::span<const providers::ChatMessage> messages{};
  std::uint32_t max_tokens = 1024;
  std::uint32_t n = 1;
  bool stream = false;
  /// The request's `traceparent` header, as received (empty: none).
  std::string_view traceparent{};
};

/// The call as `sim::Provider::handle` takes it, made of a body read by
/// `dialect::decode_request`. `messages` is filled here and must outlive the call, as must
/// `body` and `key`.
inline Call call_of(const dialect::RequestBody& body, std::string_view key,
                    std::vector<providers::ChatMessage>& messages) {
  messages.clear();
  messages.reserve(body.contents.size());
  for (std::size_t i = 0; i < body.contents.size(); ++i) messages.push_back({body.roles[i], body.contents[i]});
  return Call{body.model, key, messages, body.max_tokens, body.n, body.stream};
}

/// The simulated provider's reply: status, headers (lower-case names), body, and how long it
/// took. A streamed call that was accepted answers 200 with an empty body and its answer in
/// `stream` (how it is framed on a wire is the wire's business); a refused one answers as any
/// call.
struct ProviderReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
  Duration latency{0};
  std::optional<Stream> stream{};

  /// The first header of that name (names are stored lower-case).
  std::optional<std::string_view> header(std::string_view name) const noexcept {
    for (const auto& [k, v] : headers)
      if (k == name) return std::string_view{v};
    return std::nullopt;
  }

  /// The headers as the classifier reads them; valid while this reply lives.
  std::vector<providers::Header> header_view() const {
    std::vector<providers::Header> out;
    out.reserve(headers.size());
    for (const auto& [k, v] : headers) out.push_back({k, v});
    return out;
  }
};

}  // namespace governed::sim
