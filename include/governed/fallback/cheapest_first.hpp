#pragma once
/// @file
/// `fallback::cheapest_first`: every candidate of the default plan, cheapest first.

#include <governed/family.hpp>
#include <governed/fallback/candidates.hpp>
#include <governed/fallback/models_then_providers.hpp>

#include <algorithm>

namespace governed::fallback {

/// The candidates `models_then_providers` would try, ordered by the request's worst-case
/// price on each (prompt at the input price, the whole output at the output price); ties keep
/// the chain's order. The requested model is not privileged: a call that names gpt-4o under
/// this policy runs on gpt-4o-mini when it can.
struct cheapest_first {
  using family = governed::family::fallback;

  template <class Usable>
  Candidates plan(const providers::Table& table, const PlanInput& in, Usable&& usable) const {
    Candidates out = models_then_providers{}.plan(table, in, usable);
    std::stable_sort(out.begin(), out.end(), [&](const Candidate& a, const Candidate& b) {
      return worst_case_cost(*a.model, in) < worst_case_cost(*b.model, in);
    });
    return out;
  }
};

}  // namespace governed::fallback
