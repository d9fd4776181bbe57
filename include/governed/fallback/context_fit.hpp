#pragma once
/// @file
/// `fallback::context_fit`: any model in the table that holds the request, cheapest first.

#include <governed/family.hpp>
#include <governed/fallback/candidates.hpp>

#include <algorithm>

namespace governed::fallback {

/// Searches every model of every provider — not only the fallback chains — for those whose
/// context window holds the estimated prompt plus the whole output and that `usable` accepts
/// (a usable key, not cooling), cheapest first; the requested model leads when it fits.
/// Retired models are considered only when requested. A 200 000-token prompt sent to
/// gpt-4o-mini (128 000) goes to gemini-2.5-flash-lite (1 048 576), the cheapest that holds it.
struct context_fit {
  using family = governed::family::fallback;

  template <class Usable>
  Candidates plan(const providers::Table& table, const PlanInput& in, Usable&& usable) const {
    Candidates out;
    if (const auto* origin = table.provider(in.provider)) detail::offer(out, table, origin, in.model, in, usable);
    const std::size_t first_free = out.size();
    for (const auto& m : table.models()) {
      if (m.retired || !fits(m, in)) continue;
      const providers::Provider* p = table.provider(m.provider);
      if (p != nullptr && usable(*p, m)) out.add(Candidate{p, &m});
    }
    std::stable_sort(out.begin() + first_free, out.end(), [&](const Candidate& a, const Candidate& b) {
      return worst_case_cost(*a.model, in) < worst_case_cost(*b.model, in);
    });
    return out;
  }
};

}  // namespace governed::fallback
