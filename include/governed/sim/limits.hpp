#pragma once
/// @file
/// `sim::Limits`: what a simulated account may use of one model — the numbers a provider's
/// rate-limit page publishes per tier.

#include <governed/providers/table.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace governed::sim {

/// Per-minute and per-day allowances; an empty field is not limited. Requests and tokens
/// count on sliding windows of 60 s and 24 h, as the providers that publish them do.
/// `itpm`/`otpm` are Anthropic's split of the token limit into input and output tokens.
struct Limits {
  std::optional<std::int64_t> rpm{}, tpm{}, rpd{}, tpd{}, itpm{}, otpm{};

  bool empty() const noexcept { return !rpm && !tpm && !rpd && !tpd && !itpm && !otpm; }
  friend bool operator==(const Limits&, const Limits&) = default;
};

/// The limits the table publishes for `model` at `provider` on `tier` ("tier1", "free", …);
/// empty when the table has no such model or tier. "unlimited" and unpublished caps stay
/// empty; a model "unavailable" on the tier gets zero requests, so every call is refused.
inline Limits table_limits(const providers::Table& table, std::string_view provider,
                           std::string_view model, std::string_view tier) {
  Limits l;
  const auto* m = table.model(provider, model);
  if (!m) return l;
  const auto* t = m->tier(tier);
  if (!t) return l;
  if (!t->available) {
    l.rpm = 0;
    return l;
  }
  auto take = [](const providers::Cap& c) -> std::optional<std::int64_t> {
    if (c.limited()) return c.value;
    if (c.state == providers::Cap::State::unavailable) return 0;
    return std::nullopt;
  };
  l.rpm = take(t->rpm);
  l.tpm = take(t->tpm);
  l.rpd = take(t->rpd);
  l.tpd = take(t->tpd);
  l.itpm = take(t->itpm);
  l.otpm = take(t->otpm);
  return l;
}

}  // namespace governed::sim
