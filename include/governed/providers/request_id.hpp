#pragma once
/// @file
/// The id a provider gave a request (`RequestId`), which its support asks for when a call went
/// wrong, and where a reply carries it (`request_id_header`, `request_id_of`).
///
/// Held inline, at most 64 bytes, so a reply carries it without an allocation: the ids
/// providers send are far shorter (OpenAI `req_` + 32 hex digits, Anthropic `req_` + 24
/// characters, Gemini's `responseId` about 20, a UUID 36). A longer one is cut at 64 bytes
/// and says so (`truncated()`): enough to quote, and a server sending megabytes in a header
/// costs nothing more.
///
/// The header each provider names it in (names lower-case, as replies keep them):
///
/// | provider (dialect)                                    | header                   | source |
/// |-------------------------------------------------------|--------------------------|--------|
/// | OpenAI, Azure, Groq, OpenRouter, DeepSeek, compatibles | `x-request-id`          | https://developers.openai.com/api/reference/overview ("Debugging requests") |
/// | Anthropic                                             | `request-id`             | a reply recorded in tests/data/provider_replies.jsonl (anthropic-429-no-retry-after-reset-rfc3339) |
/// | Mistral                                               | `mistral-correlation-id` | what Mistral's own clients read (its `x-kong-request-id` is its gateway's) |
/// | Gemini                                                | none: the body's `responseId` | |
///
/// A reply without its provider's own header is read from `x-request-id`, the name most
/// servers use (a gateway in front of the provider, an OpenAI-compatible server, governed-sim).
/// The body's id (OpenAI's and Anthropic's `id`, Gemini's `responseId`) is the reply reader's
/// to take when no header gave one.

#include <governed/providers/dialect.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace governed::providers {

/// A provider's id for one request: up to `capacity` bytes held inline, and whether a longer
/// one was cut to fit. Never allocates; copying copies only the bytes in use.
class RequestId {
 public:
  static constexpr std::size_t capacity = 64;

  /// No id.
  RequestId() noexcept {}

  /// `id`, cut to its first `capacity` bytes when longer (`truncated()` then says so).
  explicit RequestId(std::string_view id) noexcept
      : state_(id.size() > capacity ? static_cast<std::uint8_t>(capacity | cut_mark)
                                    : static_cast<std::uint8_t>(id.size())) {
    if (const std::size_t n = size(); n != 0) std::memcpy(bytes_, id.data(), n);
  }

  RequestId(const RequestId& other) noexcept : state_(other.state_) {
    if (const std::size_t n = size(); n != 0) std::memcpy(bytes_, other.bytes_, n);
  }

  RequestId& operator=(const RequestId& other) noexcept {
    state_ = other.state_;
    if (const std::size_t n = size(); n != 0) std::memmove(bytes_, other.bytes_, n);
    return *this;
  }

  /// The id (its first 64 bytes when it was longer); valid while this object lives unchanged.
  std::string_view view() const noexcept { return {bytes_, size()}; }
  std::size_t size() const noexcept { return state_ & length_bits; }
  bool empty() const noexcept { return state_ == 0; }
  /// The id the provider sent was longer than `capacity` and is held cut.
  bool truncated() const noexcept { return (state_ & cut_mark) != 0; }

  friend bool operator==(const RequestId& a, const RequestId& b) noexcept {
    return a.state_ == b.state_ && a.view() == b.view();
  }

 private:
  // One byte says both the length and whether the id was cut: an empty id is one store.
  static constexpr unsigned cut_mark = 0x80;
  static constexpr unsigned length_bits = 0x7f;
  static_assert(capacity <= length_bits, "the length must fit below the cut mark");

  std::uint8_t state_ = 0;  ///< the length, with `cut_mark` set when the id was cut
  // Left uninitialised: only the first `size()` bytes are ever read or copied, so an empty id
  // (every reply before its headers are read) costs one byte store, not 64 zeroes.
  char bytes_[capacity];
};

/// The header a provider of dialect `d` names its request id in (lower-case); empty when it
/// sends none (Gemini).
constexpr std::string_view request_id_header(Dialect d) noexcept {
  switch (d) {
    case Dialect::anthropic: return "request-id";
    case Dialect::mistral: return "mistral-correlation-id";
    case Dialect::gemini: return {};
    default: return "x-request-id";
  }
}

/// How well the header `name` (lower-case) names the request id of a reply in dialect `d`:
/// 2 for the provider's own header, 1 for the common `x-request-id`, 0 for any other header.
/// For a walk that reads the headers anyway (the HTTP transport's, as it lower-cases them):
/// keep the value of the best so far.
constexpr int request_id_rank(Dialect d, std::string_view name) noexcept {
  constexpr std::string_view common = "x-request-id";
  if (const std::string_view own = request_id_header(d); !own.empty() && name == own) return 2;
  return name == common ? 1 : 0;
}

/// The request id among `headers` (pairs of lower-case name and value, as `transport::Reply`
/// keeps them) for a reply in dialect `d`: the provider's own header's, else `x-request-id`'s,
/// else none.
template <class Headers>
RequestId request_id_of(const Headers& headers, Dialect d) noexcept {
  std::string_view best;
  int best_rank = 0;
  for (const auto& [name, value] : headers) {
    const int rank = request_id_rank(d, name);
    if (rank <= best_rank) continue;
    best = value;
    best_rank = rank;
    if (rank == 2) break;
  }
  return RequestId(best);
}

}  // namespace governed::providers
