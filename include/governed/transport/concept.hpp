#pragma once
/// @file
/// What a transport does for `Governed`: one attempt of one call, and the provider's reply.

#include <governed/providers/headers.hpp>
#include <governed/providers/classify.hpp>
#include <governed/request.hpp>
#include <governed/time.hpp>

#include <concepts>
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
  std::string_view api_key;
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

}  // namespace governed::transport
