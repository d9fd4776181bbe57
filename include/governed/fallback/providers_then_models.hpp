#pragma once
/// @file
/// `fallback::providers_then_models`: the same rank at other providers before a lesser model.

#include <governed/family.hpp>
#include <governed/fallback/candidates.hpp>

#include <algorithm>

namespace governed::fallback {

/// The requested model; then rank by rank down the chains, trying every provider at a rank
/// before the next rank: from OpenAI gpt-4o, next Anthropic's first model and Groq's first
/// model, then gpt-4o-mini, Anthropic's second, Groq's second … For callers who care more
/// about the quality tier than the vendor.
struct providers_then_models {
  using family = governed::family::fallback;
  static constexpr bool origin_first = true;

  template <class Usable>
  Candidates plan(const providers::Table& table, const PlanInput& in, Usable&& usable) const {
    Candidates out;
    const providers::Provider* origin = table.provider(in.provider);
    if (origin == nullptr) return out;
    detail::offer(out, table, origin, in.model, in, usable);
    const auto [from, to] = detail::chain_from(*origin, in.model);
    std::size_t longest = to - from;
    for (const auto& name : origin->fallback_providers)
      if (const auto* p = table.provider(name)) longest = std::max(longest, p->fallback_models.size());
    for (std::size_t rank = 0; rank < longest; ++rank) {
      if (from + rank < to) detail::offer(out, table, origin, origin->fallback_models[from + rank], in, usable);
      for (const auto& name : origin->fallback_providers) {
        const providers::Provider* p = table.provider(name);
        if (p != nullptr && rank < p->fallback_models.size())
          detail::offer(out, table, p, p->fallback_models[rank], in, usable);
      }
    }
    return out;
  }
};

}  // namespace governed::fallback
