#pragma once
/// @file
/// Tier planning: the limits a `State` gives a model's limit sets, worked out from the provider
/// table's published limits for the configured tier and the provider's settings.
///
/// A model is offered only when something says what its limits are: the table's tier (whose
/// rpm and tpm are not "unavailable"), or a rate limit of the settings' own. A model the table
/// publishes nothing for is never "no limit": an unknown limit read as none would send as fast
/// as the provider answers and meet its real limit as a wall of 429s.
///
/// ```cpp
/// const auto& openai = *table.provider("openai");
/// const auto& mini = *table.model("openai", "gpt-4o-mini");
/// auto limits = governed::plan_tier_limits(table, openai, mini, {.tier = "tier1"});
/// // limits->requests_per_minute == 500, tokens_per_minute == 200000 (OpenAI's tier 1)
/// ```

#include <governed/limit_set.hpp>
#include <governed/providers/table.hpp>
#include <governed/state/settings.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>

namespace governed {

namespace detail {

/// The tier of `m` that `tier` names, or, with no tier named, the first that offers `m` (a new
/// account's limits); null when the table lists none.
inline const providers::TierLimits* chosen_tier(const providers::Model& m, std::string_view tier) noexcept {
  for (const auto& t : m.tiers)
    if (tier.empty() ? t.available : t.name == tier) return &t;
  return nullptr;
}

/// A published cap as the limit set counts it: 0 for no limit, `UINT64_MAX` for "unavailable"
/// (the model is not offered through that dimension at all).
inline std::uint64_t published_cap(const providers::Cap& cap) noexcept {
  if (cap.state == providers::Cap::State::unavailable) return UINT64_MAX;
  return cap.limited() && cap.value > 0 ? static_cast<std::uint64_t>(cap.value) : 0;
}

/// Copies `t`'s published limits into `c`; false when `t` does not offer the model (the tier
/// marks it, or its rpm or tpm, unavailable). An unavailable daily or per-direction limit
/// only means that dimension is not published: no limit there.
inline bool take_published_limits(const providers::TierLimits& t, LimitSetConfig& c) noexcept {
  if (!t.available) return false;
  c.requests_per_minute = published_cap(t.rpm);
  c.tokens_per_minute = published_cap(t.tpm);
  if (c.requests_per_minute == UINT64_MAX || c.tokens_per_minute == UINT64_MAX) return false;
  c.requests_per_day = published_cap(t.rpd);
  c.tokens_per_day = published_cap(t.tpd);
  c.input_tokens_per_minute = published_cap(t.itpm);
  c.output_tokens_per_minute = published_cap(t.otpm);
  for (auto* v : {&c.requests_per_day, &c.tokens_per_day, &c.input_tokens_per_minute, &c.output_tokens_per_minute})
    if (*v == UINT64_MAX) *v = 0;
  return true;
}

/// The settings' own limits replace the published ones, dimension by dimension.
inline void take_overrides(const ProviderSettings& s, LimitSetConfig& c) noexcept {
  const auto over = [](std::uint64_t& field, const std::optional<std::uint64_t>& v) {
    if (v) field = *v;
  };
  over(c.requests_per_minute, s.rpm);
  over(c.tokens_per_minute, s.tpm);
  over(c.requests_per_day, s.rpd);
  over(c.tokens_per_day, s.tpd);
  over(c.input_tokens_per_minute, s.itpm);
  over(c.output_tokens_per_minute, s.otpm);
}

}  // namespace detail

/// The limits of `m` at `p` on the tier `s` names (or, with none, the first tier that offers
/// `m`), with the settings' overrides and shape (headroom, concurrency, stagger, token floor,
/// skew); none when `m` is not offered there. Where the provider publishes tiers but none for
/// this model on this tier (a model an override added without tiers, a tier its models do not
/// all share, every tier "unavailable"), nothing is known of its limits: it is not offered,
/// unless the settings give it a rate limit of their own (rpm, tpm, itpm or otpm).
inline std::optional<LimitSetConfig> plan_tier_limits(const providers::Table& table, const providers::Provider& p,
                                                      const providers::Model& m, const ProviderSettings& s) {
  LimitSetConfig c;
  c.headroom = s.headroom;
  c.max_concurrency = s.max_concurrency;
  c.stagger = s.stagger;
  c.largest_request_tokens = s.est_tokens_per_call;
  c.skew = s.skew;
  const providers::TierLimits* tier = detail::chosen_tier(m, s.tier);
  if (tier && !detail::take_published_limits(*tier, c)) return std::nullopt;
  detail::take_overrides(s, c);
  const bool own_rate_limit = s.rpm || s.tpm || s.itpm || s.otpm;
  if (!tier && !own_rate_limit && (!m.tiers.empty() || !table.tiers_of(p.name).empty())) return std::nullopt;
  return c;
}

/// Why `m` at `p` is not offered (`plan_tier_limits` has no value), for people: the
/// configured tier (or, with none, every tier) marks the model or its rpm/tpm "unavailable",
/// which no setting changes; or the table publishes no limits for it there, which an rpm,
/// tpm, itpm or otpm setting of the provider's changes.
inline std::string not_offered_reason(const providers::Provider& p, const providers::Model& m,
                                      const ProviderSettings& s) {
  if (const providers::TierLimits* chosen = detail::chosen_tier(m, s.tier))
    return fmt::format("{} {} is not offered on tier {}", p.display, m.name, chosen->name);
  return fmt::format("the provider table publishes no limits for {} {} on {}; an rpm or tpm setting for {} "
                     "(or itpm, otpm) makes it usable",
                     p.display, m.name, s.tier.empty() ? "any of its tiers" : fmt::format("tier {}", s.tier), p.name);
}

}  // namespace governed
