#pragma once
/// @file
/// User-facing messages: what governed tells a person when it retries, switches, or gives up.
/// Every message goes through `redact`, with the configured keys, before it leaves: providers
/// echo organisation ids and sometimes keys, and Azure and Mistral keys have no prefix to find.

#include <governed/providers/kind.hpp>
#include <governed/providers/redact.hpp>

#include <fmt/format.h>

#include <chrono>
#include <span>
#include <string>
#include <string_view>

namespace governed::providers {

/// A wait the way a person says it, in its largest whole unit: 45 seconds, 22 minutes,
/// 3 hours, 16 days. Rounds down (22m46s reads "22 minutes") except below a second, which
/// reads "1 second" rather than "0 seconds".
inline std::string humanize(Duration d) {
  using namespace std::chrono;
  if (d < seconds{1}) return "1 second";
  auto unit = [](std::int64_t n, std::string_view one) {
    return fmt::format("{} {}{}", n, one, n == 1 ? "" : "s");
  };
  if (d < minutes{1}) return unit(duration_cast<seconds>(d).count(), "second");
  if (d < hours{1}) return unit(duration_cast<minutes>(d).count(), "minute");
  if (d < hours{24}) return unit(duration_cast<hours>(d).count(), "hour");
  return unit(duration_cast<hours>(d).count() / 24, "day");
}

namespace detail {

inline std::string shout(std::string_view provider) {
  std::string s(provider);
  for (auto& c : s)
    if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
  return s;
}

inline std::string target(std::string_view provider, std::string_view model) {
  return model.empty() ? shout(provider) : fmt::format("{} ({})", shout(provider), model);
}

}  // namespace detail

/// "Switching to GROQ llama-3.1-70b-versatile…"
inline std::string switching_message(std::string_view provider, std::string_view model,
                                     std::span<const std::string> keys = {}) {
  return redact(fmt::format("Switching to {} {}\u2026", detail::shout(provider), model), keys);
}

/// "Rate limit reached for GROQ (llama-3.3-70b-versatile). The provider requests waiting
/// 22 minutes. Automatically trying alternative model/provider…"
inline std::string rate_limited_message(std::string_view provider, std::string_view model,
                                        std::optional<Duration> wait,
                                        std::span<const std::string> keys = {}) {
  std::string s = fmt::format("Rate limit reached for {}.", detail::target(provider, model));
  if (wait) s += fmt::format(" The provider requests waiting {}.", humanize(*wait));
  s += " Automatically trying alternative model/provider\u2026";
  return redact(s, keys);
}

/// "All alternative providers are rate limited. Please try again in 22 minutes."
inline std::string all_rate_limited_message(std::optional<Duration> wait) {
  if (!wait) return "All alternative providers are rate limited. Please try again later.";
  return fmt::format("All alternative providers are rate limited. Please try again in {}.",
                     humanize(*wait));
}

/// One sentence for a verdict, as `governed-classify` prints it and logs show it.
inline std::string describe(const Verdict& v, std::string_view provider, std::string_view model = {},
                            std::span<const std::string> keys = {}) {
  const std::string who = detail::target(provider, model);
  const std::string name = detail::shout(provider);
  const std::string wait = v.wait ? fmt::format(" The provider requests waiting {}.", humanize(*v.wait)) : "";
  const std::string said = v.detail.empty() ? "" : fmt::format(" ({})", v.detail);
  std::string s;
  switch (v.kind) {
    case Kind::success: s = fmt::format("{} answered.", who); break;
    case Kind::rate_limit_requests:
    case Kind::rate_limit_tokens:
    case Kind::rate_limit_unspecified: {
      const std::string_view what = v.kind == Kind::rate_limit_requests ? " (requests per minute)"
                                    : v.kind == Kind::rate_limit_tokens ? " (tokens per minute)" : "";
      if (!v.retryable) {
        s = fmt::format("The request is larger than {}'s rate limit{} allows; trying a model with a "
                        "larger limit\u2026", who, what);
      } else {
        s = fmt::format("Rate limit reached for {}{}.{} Backing off, then trying alternatives\u2026",
                        who, what, wait);
      }
      break;
    }
    case Kind::rate_limit_requests_daily:
    case Kind::rate_limit_tokens_daily:
      s = fmt::format("Daily {} limit reached for {}.{} Switching to another key\u2026",
                      v.kind == Kind::rate_limit_requests_daily ? "request" : "token", who, wait);
      break;
    case Kind::quota_daily:
    case Kind::quota_monthly:
      s = fmt::format("The {} quota of this {} key is used up.{} Switching to another key\u2026",
                      v.kind == Kind::quota_daily ? "daily" : "monthly", name,
                      v.wait ? fmt::format(" It resets in {}.", humanize(*v.wait)) : "");
      break;
    case Kind::insufficient_quota_billing:
      s = fmt::format("{} reports no credit or billing left for this key{}. Switching to another "
                      "key\u2026", name, said);
      break;
    case Kind::overloaded:
      s = fmt::format("{} is overloaded.{} Retrying after a pause, then trying alternatives\u2026",
                      who, wait);
      break;
    case Kind::server_error:
      s = fmt::format("{} had a server error{}. Retrying after a pause\u2026", who, said);
      break;
    case Kind::auth:
      s = fmt::format("{} rejected the API key{}; it will not be used again. Switching to another "
                      "key\u2026", name, said);
      break;
    case Kind::permission_denied:
      s = fmt::format("This key may not use {}{}. Trying another model\u2026", who, said);
      break;
    case Kind::bad_request: s = fmt::format("{} refused the request{}.", who, said); break;
    case Kind::context_length_exceeded:
      s = v.requested && v.limit
              ? fmt::format("The prompt ({} tokens) does not fit {}'s context window ({} tokens). "
                            "Trying a model with a larger context\u2026", *v.requested, who, *v.limit)
              : fmt::format("The prompt does not fit {}'s context window. Trying a model with a "
                            "larger context\u2026", who);
      break;
    case Kind::content_filter:
      s = fmt::format("{}'s content policy refused the request{}.", name, said);
      break;
    case Kind::network_error: s = fmt::format("Could not reach {}{}.", name, said); break;
  }
  return redact(s, keys);
}

}  // namespace governed::providers
