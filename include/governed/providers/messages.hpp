#pragma once
/// @file
/// User-facing messages: what governed tells a person when it retries, switches, or gives up.
/// Every message goes through `redact`, with the configured keys, before it leaves: providers
/// echo organisation ids and sometimes keys, and Azure and Mistral keys have no prefix to find.

#include <governed/providers/kind.hpp>
#include <governed/providers/redact.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <optional>
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

/// "Skipping GEMINI gemini-2.0-flash: it cannot take documents." `lacking`: the capabilities'
/// names (providers/capabilities.hpp).
inline std::string skipped_message(std::string_view provider, std::string_view model, std::string_view lacking,
                                   std::span<const std::string> keys = {}) {
  return redact(fmt::format("Skipping {} {}: it cannot take {}.", detail::shout(provider), model, lacking), keys);
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

/// Whose wait a cooldown is: the provider's (a `retry-after`, "try again in …"), or one
/// governed chose (the backoff curve's, the failure cooldown). Only the first is worded as
/// the provider's request.
enum class WaitSource : std::uint8_t { provider, governed };

namespace detail {

/// " The provider requests waiting 22 minutes." or " It is skipped for 5 minutes."
inline std::string rest_sentence(Duration wait, WaitSource source) {
  return source == WaitSource::provider ? fmt::format(" The provider requests waiting {}.", humanize(wait))
                                        : fmt::format(" It is skipped for {}.", humanize(wait));
}

inline constexpr std::string_view trying_alternatives = " Automatically trying alternative model/provider\u2026";

inline std::string try_again(std::string_view what, std::optional<Duration> wait) {
  return wait ? fmt::format("{} Please try again in {}.", what, humanize(*wait))
              : fmt::format("{} Please try again later.", what);
}

}  // namespace detail

// ---- a target given up on (the `cooled` event, and the reason other processes are told) ----

/// "Rate limit reached for OPENAI (gpt-4o). It is skipped for 1 minute. Automatically trying
/// alternative model/provider…"
inline std::string rate_limit_cooled_message(std::string_view provider, std::string_view model, Duration wait,
                                             WaitSource source, std::span<const std::string> keys = {}) {
  return redact(fmt::format("Rate limit reached for {}.{}{}", detail::target(provider, model),
                            detail::rest_sentence(wait, source), detail::trying_alternatives),
                keys);
}

/// "ANTHROPIC (claude-3-5-sonnet-20241022) is overloaded. It is skipped for 5 minutes.
/// Automatically trying alternative model/provider…"
inline std::string overloaded_cooled_message(std::string_view provider, std::string_view model, Duration wait,
                                             WaitSource source, std::span<const std::string> keys = {}) {
  return redact(fmt::format("{} is overloaded.{}{}", detail::target(provider, model), detail::rest_sentence(wait, source),
                            detail::trying_alternatives),
                keys);
}

/// "ANTHROPIC (claude-3-5-sonnet-20241022) keeps answering with server errors. It is skipped
/// for 5 minutes. Automatically trying alternative model/provider…"
inline std::string server_errors_cooled_message(std::string_view provider, std::string_view model, Duration wait,
                                                WaitSource source, std::span<const std::string> keys = {}) {
  return redact(fmt::format("{} keeps answering with server errors.{}{}", detail::target(provider, model),
                            detail::rest_sentence(wait, source), detail::trying_alternatives),
                keys);
}

/// "OPENAI (gpt-4o) could not be reached. It is skipped for 5 minutes. Automatically trying
/// alternative model/provider…"
inline std::string unreachable_cooled_message(std::string_view provider, std::string_view model, Duration wait,
                                              std::span<const std::string> keys = {}) {
  return redact(fmt::format("{} could not be reached.{}{}", detail::target(provider, model),
                            detail::rest_sentence(wait, WaitSource::governed), detail::trying_alternatives),
                keys);
}

/// The cooled message for a target given up on after replies of `kind`, skipped for `wait`.
inline std::string cooled_message(Kind kind, std::string_view provider, std::string_view model, Duration wait,
                                  WaitSource source, std::span<const std::string> keys = {}) {
  switch (kind) {
    case Kind::overloaded: return overloaded_cooled_message(provider, model, wait, source, keys);
    case Kind::server_error: return server_errors_cooled_message(provider, model, wait, source, keys);
    case Kind::network_error: return unreachable_cooled_message(provider, model, wait, keys);
    default: return rate_limit_cooled_message(provider, model, wait, source, keys);
  }
}

/// "OPENAI (gpt-4o) is not retried: its next attempt, in 8 seconds, would come after the
/// call's deadline. Trying alternatives…" — the caller's deadline, not a fact about the model.
inline std::string retry_past_deadline_message(std::string_view provider, std::string_view model, Duration wait,
                                               std::span<const std::string> keys = {}) {
  return redact(fmt::format("{} is not retried: its next attempt, in {}, would come after the call's deadline. "
                            "Trying alternatives\u2026",
                            detail::target(provider, model), humanize(wait)),
                keys);
}

// ---- nothing left: the call's error -------------------------------------------------------

/// "All alternative providers are rate limited. Please try again in 22 minutes."
inline std::string all_rate_limited_message(std::optional<Duration> wait) {
  return detail::try_again("All alternative providers are rate limited.", wait);
}

/// "All alternative providers are failing (overloaded, server errors or unreachable). Please
/// try again in 5 minutes."
inline std::string all_failing_message(std::optional<Duration> wait) {
  return detail::try_again("All alternative providers are failing (overloaded, server errors or unreachable).", wait);
}

/// "No alternative provider could be reached. Please try again in 5 minutes."
inline std::string none_reachable_message(std::optional<Duration> wait) {
  return detail::try_again("No alternative provider could be reached.", wait);
}

/// "All alternative providers are rate limited or failing. Please try again in 1 minute."
inline std::string all_limited_or_failing_message(std::optional<Duration> wait) {
  return detail::try_again("All alternative providers are rate limited or failing.", wait);
}

/// "The call's deadline passes before any provider can take it; the earliest one could is in
/// 1 minute."
inline std::string deadline_before_any_message(Duration earliest) {
  return fmt::format("The call's deadline passes before any provider can take it; the earliest one could is in {}.",
                     humanize(earliest));
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

// ---- The call walk's sentences ----------------------------------------------------------------
// What a call says as it plans, picks keys, waits, falls back and settles (walk.hpp). They
// carry provider and model names and the provider's own words: the walk redacts them with
// the configured keys on their way out, as every message.

/// A request naming a provider the table does not list.
inline std::string unknown_provider_message(std::string_view provider) {
  return fmt::format("unknown provider \"{}\"", provider);
}

/// A request naming a model its provider's table entry does not list.
inline std::string unknown_model_message(std::string_view provider_display, std::string_view model) {
  return fmt::format("{} has no model \"{}\" in the provider table", provider_display, model);
}

/// No candidate's context window holds the call.
inline std::string nothing_fits_message(std::uint64_t total, std::uint64_t prompt, std::uint64_t output) {
  return fmt::format("no model can hold {} tokens ({} prompt + {} output) under the {} fallback policy", total, prompt,
                     output, "chosen");
}

/// "Answered from the cache (OPENAI gpt-4o)."
inline std::string cache_hit_message(std::string_view provider, std::string_view model) {
  return fmt::format("Answered from the cache ({} {}).", detail::shout(provider), model);
}

/// The spend budget moves the call to the cheapest candidate that still fits.
inline std::string spend_downgrade_message(std::string_view provider, std::string_view model) {
  return fmt::format("The spend budget is nearly used up; moving to the cheapest model that fits, {} {}.",
                     detail::shout(provider), model);
}

inline std::string no_key_configured_message(std::string_view provider) {
  return fmt::format("no {} key is configured", detail::shout(provider));
}

inline std::string every_key_refused_message(std::string_view provider) {
  return fmt::format("every {} key was refused by the provider", detail::shout(provider));
}

/// What a 401 to a provider configured keyless means: its server does want a key.
inline std::string refused_without_key_message(std::string_view provider_display, std::string_view provider) {
  return fmt::format("{} refused a call without a key: the server takes one; configure {} with its key "
                     "instead of keyless",
                     provider_display, provider);
}

inline std::string key_rotated_message(std::string_view provider) {
  return fmt::format("Using another {} key.", detail::shout(provider));
}

inline std::string key_rejected_message(std::string_view provider) {
  return fmt::format("{} rejected a key; it will not be used again.", detail::shout(provider));
}

/// Another process sharing the limit set found the account's allowance spent.
inline std::string spent_elsewhere_message(std::string_view provider, std::string_view model) {
  return fmt::format("Another process found the allowance of {} spent for this account; using another.",
                     detail::target(provider, model));
}

/// A daily limit spent for one account's use of one model.
inline std::string model_day_spent_message(std::string_view provider, std::string_view model, Duration left) {
  return fmt::format("The daily limit of {} is spent for this account; it is back in {}.",
                     detail::target(provider, model), humanize(left));
}

/// An account's billing credit is spent: out until it is topped up.
inline std::string credit_spent_message(std::string_view provider) {
  return fmt::format("A {} account's credit is spent; its keys are out until it is topped up.", detail::shout(provider));
}

/// An account's daily or monthly quota is spent.
inline std::string quota_spent_message(std::string_view provider, Duration left) {
  return fmt::format("A {} account's quota is spent; its keys are back in {}.", detail::shout(provider), humanize(left));
}

/// "Waited 2 seconds for OPENAI (gpt-4o)'s rate limit."
inline std::string waited_message(Duration waited, std::string_view provider, std::string_view model) {
  return fmt::format("Waited {} for {}'s rate limit.", humanize(waited), detail::target(provider, model));
}

/// Why a call left a candidate whose limit set could not admit it at all.
inline std::string not_admitted_message(std::string_view provider, std::string_view model, std::string_view reason) {
  return fmt::format("{} could not admit the call: {}", detail::target(provider, model), reason);
}

/// Why a call left a candidate whose rate limit would hold it `wait`: past its deadline, or
/// longer than it may wait.
inline std::string limit_holds_message(std::string_view provider, std::string_view model, Duration wait,
                                       bool past_deadline) {
  return past_deadline ? fmt::format("{}'s rate limit would hold the call {}, past its deadline.",
                                     detail::target(provider, model), humanize(wait))
                       : fmt::format("{}'s rate limit would hold the call {}, longer than it may wait.",
                                     detail::target(provider, model), humanize(wait));
}

/// A stream that failed after part of it reached the caller: not retried.
inline std::string broke_off_message(std::string_view provider, std::string_view model) {
  return fmt::format("The answer from {} broke off after it began; it is not retried because part "
                     "of it was already delivered.",
                     detail::target(provider, model));
}

/// A retry's note: what failed, and when the same target is tried again.
inline std::string retrying_message(std::string_view what_failed, Duration wait) {
  return fmt::format("{} Retrying in {}.", what_failed, humanize(wait));
}

/// A provider skipped while its circuit breaker is open.
inline std::string breaker_skip_message(std::string_view provider, Duration left) {
  return fmt::format("{} keeps failing and is skipped until one call tries it again in {}", detail::shout(provider),
                     humanize(left));
}

/// A failure on a provider whose breaker is open: the call leaves it at once.
inline std::string left_failing_provider_message(std::string_view provider, std::string_view model,
                                                 std::string_view skip_reason) {
  return fmt::format("{} did not answer, and {}.", detail::target(provider, model), skip_reason);
}

/// The call reached its cap on fallbacks.
inline std::string fallback_cap_sentence(std::uint32_t cap) {
  return fmt::format(" The call stopped after {} fallback{}, the most it may make.", cap, cap == 1 ? "" : "s");
}

}  // namespace governed::providers
