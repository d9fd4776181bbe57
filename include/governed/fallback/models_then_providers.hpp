#pragma once
/// @file
/// `fallback::models_then_providers` (the default): down the provider's own model chain first,
/// then to other providers.

#include <governed/family.hpp>
#include <governed/fallback/candidates.hpp>

namespace governed::fallback {

/// The requested model; then the rest of its provider's fallback chain; then, for each
/// provider in the original provider's `fallback_providers` order, that provider's chain from
/// the top. From Groq llama-3.3-70b-versatile: llama-3.1-70b-versatile, llama-3.1-8b-instant,
/// mixtral-8x7b-32768, gemma2-9b-it, then OpenAI gpt-4o … gpt-3.5-turbo, then Anthropic.
/// Models whose context window cannot hold the request, and models `usable` refuses (cooling,
/// no usable key), are left out.
struct models_then_providers {
  using family = governed::family::fallback;
  static constexpr bool origin_first = true;

  template <class Usable>
  Candidates plan(const providers::Table& table, const PlanInput& in, Usable&& usable) const {
    Candidates out;
    const providers::Provider* origin = table.provider(in.provider);
    if (origin == nullptr) return out;
    detail::offer(out, table, origin, in.model, in, usable);
    const auto [from, to] = detail::chain_from(*origin, in.model);
    for (std::size_t i = from; i < to; ++i) detail::offer(out, table, origin, origin->fallback_models[i], in, usable);
    for (const auto& name : origin->fallback_providers) {
      const providers::Provider* p = table.provider(name);
      if (p == nullptr) continue;
      for (const auto& m : p->fallback_models) detail::offer(out, table, p, m, in, usable);
    }
    return out;
  }
};

}  // namespace governed::fallback
