#pragma once
/// @file
/// The vocabulary of a classified provider reply: what happened (`Kind`), what it applies to
/// (`Scope`), and the verdict the governor acts on (`Verdict`).

#include <governed/providers/headers.hpp>
#include <governed/time.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace governed::providers {

/// What a reply means. The names are fixed by the shared reply vectors and by
/// `governed-classify`'s output, so tools can switch on them.
enum class Kind : std::uint8_t {
  success,
  rate_limit_requests,        ///< requests per minute (or second): back off, same key
  rate_limit_tokens,          ///< tokens per minute: back off, or fall back if it can never fit
  rate_limit_requests_daily,  ///< requests per day: another key at once
  rate_limit_tokens_daily,    ///< tokens per day: another key at once
  rate_limit_unspecified,     ///< a rate limit that does not say which: back off
  quota_daily,                ///< a quota that resets after a day: key exhausted until then
  quota_monthly,              ///< a quota that resets after a month
  insufficient_quota_billing, ///< credit or billing exhausted: rotate, never retry
  overloaded,                 ///< provider over capacity: back off, cool the model, fall back
  server_error,               ///< other 5xx: back off, then fall back
  auth,                       ///< invalid or revoked key: mark invalid, rotate
  permission_denied,          ///< this key may not use this model: fall back, no retry
  bad_request,                ///< the request itself is wrong: return the error
  context_length_exceeded,    ///< prompt too large for the model: larger context or return
  content_filter,             ///< refused by a content policy: return the error
  network_error,              ///< no reply at all: the connection failed
};

inline constexpr std::array<std::string_view, 17> kind_names{
    "success",
    "rate_limit_requests",
    "rate_limit_tokens",
    "rate_limit_requests_daily",
    "rate_limit_tokens_daily",
    "rate_limit_unspecified",
    "quota_daily",
    "quota_monthly",
    "insufficient_quota_billing",
    "overloaded",
    "server_error",
    "auth",
    "permission_denied",
    "bad_request",
    "context_length_exceeded",
    "content_filter",
    "network_error",
};

constexpr std::string_view to_string(Kind k) noexcept {
  return kind_names[static_cast<std::size_t>(k)];
}

constexpr std::optional<Kind> kind_from_string(std::string_view s) noexcept {
  for (std::size_t i = 0; i < kind_names.size(); ++i)
    if (kind_names[i] == s) return static_cast<Kind>(i);
  return std::nullopt;
}

/// True for the kinds a per-minute or per-day rate limit produces.
constexpr bool is_rate_limit(Kind k) noexcept {
  return k == Kind::rate_limit_requests || k == Kind::rate_limit_tokens ||
         k == Kind::rate_limit_requests_daily || k == Kind::rate_limit_tokens_daily ||
         k == Kind::rate_limit_unspecified;
}

/// True when the verdict spends an account's allowance for a day or more.
constexpr bool is_exhaustion(Kind k) noexcept {
  return k == Kind::rate_limit_requests_daily || k == Kind::rate_limit_tokens_daily ||
         k == Kind::quota_daily || k == Kind::quota_monthly ||
         k == Kind::insufficient_quota_billing;
}

/// What a verdict applies to: the governor cools, marks or rotates exactly this.
enum class Scope : std::uint8_t {
  request,   ///< only this request (bad input, content policy)
  key,       ///< this API key (invalid, revoked)
  account,   ///< the organisation/project behind the key: every key of it shares the limit
  model,     ///< this model at this provider (overloaded, not permitted, too small)
  provider,  ///< the whole provider (5xx, network)
};

inline constexpr std::array<std::string_view, 5> scope_names{"request", "key", "account", "model",
                                                             "provider"};

constexpr std::string_view to_string(Scope s) noexcept {
  return scope_names[static_cast<std::size_t>(s)];
}

/// What the governor should do about one reply.
struct Verdict {
  Kind kind = Kind::success;
  Scope scope = Scope::request;
  /// Retrying the same target (same key, same model) after `wait` can succeed.
  bool retryable = false;
  /// The wait the provider asked for, when it stated a usable one.
  std::optional<Duration> wait{};
  /// Another key of the same provider should be used at once.
  bool rotate_key = false;
  /// When a daily or monthly allowance comes back, from the provider's reset rule (Gemini:
  /// midnight Pacific) or from a stated wait; empty when unknown.
  std::optional<WallTime> resets_at{};
  /// For "request larger than the limit" and context errors: what was asked and what fits.
  std::optional<std::int64_t> requested{};
  std::optional<std::int64_t> limit{};
  /// The provider's own words, secrets redacted, at most a few hundred characters.
  std::string detail{};
  /// Limit headers the reply carried (on success too), for `LimitSet::sync`.
  HeaderSnapshot limits{};
};

}  // namespace governed::providers
