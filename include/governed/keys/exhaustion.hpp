#pragma once
/// @file
/// `keys::exhausted_until`: until when a spent daily, monthly or billing allowance keeps an
/// account (or, where the provider limits per model, the account's use of one model) out.

#include <governed/keys/health_persistence.hpp>
#include <governed/providers/kind.hpp>
#include <governed/providers/table.hpp>
#include <governed/time.hpp>

#include <chrono>

namespace governed::keys {

/// Until when the allowance verdict `v` from `p`, read at wall time `now`, holds the account
/// out: billing exhaustion until the user tops the account up (`until_reset`); else the
/// provider's stated reset, its stated wait, its daily-reset rule, and failing all three a
/// day (a month for a monthly quota).
inline WallTime exhausted_until(const providers::Verdict& v, const providers::Provider& p, WallTime now) {
  using providers::Kind;
  if (v.kind == Kind::insufficient_quota_billing) return until_reset;
  if (v.resets_at) return *v.resets_at;
  if (v.wait) return now + *v.wait;
  if (auto r = providers::next_daily_reset(p, now)) return *r;
  return now + (v.kind == Kind::quota_monthly ? Duration{std::chrono::hours{24 * 30}} : Duration{std::chrono::hours{24}});
}

/// Whether the allowance `kind` spent is the account's use of one model only (a provider that
/// limits per model, and a daily request or token limit), not the whole account.
constexpr bool exhausts_one_model(providers::Kind kind, const providers::Provider& p) noexcept {
  using providers::Kind;
  return p.limits_per_model && (kind == Kind::rate_limit_requests_daily || kind == Kind::rate_limit_tokens_daily);
}

}  // namespace governed::keys
