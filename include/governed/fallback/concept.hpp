#pragma once
/// @file
/// The interface every fallback policy shares.

#include <governed/fallback/candidates.hpp>
#include <governed/family.hpp>
#include <governed/providers/table.hpp>

#include <concepts>

namespace governed::fallback {

namespace detail {

/// Stands in for the walk's question "can this candidate serve the call now?" (tier,
/// cooldowns, keys) when `FallbackPolicy` is checked: a policy must take any callable of this
/// shape, so it is tried with one it cannot know in advance.
struct usable_probe {
  bool operator()(const providers::Provider&, const providers::Model&) const noexcept { return true; }
};

}  // namespace detail

/// A fallback policy: a small value (default-constructible and copyable, its parameters, if
/// any, public) that plans which (provider, model) pairs a call tries, in order.
///
/// `plan(table, input, usable)` returns the candidates for a request to `input.provider` /
/// `input.model`, leaving out every model whose context window cannot hold `input.total()`
/// tokens and every one `usable(provider, model)` refuses. `Candidates` holds its items inline,
/// so planning allocates nothing. One `const` policy object is shared by a call site and its
/// rebindings and planned with from every thread at once: `plan` is `const` and keeps nothing
/// between calls.
///
/// A policy whose plan always begins with the requested model when it fits says so with
/// `static constexpr bool origin_first = true` (see `origin_first`): the walk then asks it for
/// the rest only when the requested model does not answer.
template <class F>
concept FallbackPolicy =
    std::same_as<typename F::family, family::fallback> && std::default_initializable<F> &&
    std::copy_constructible<F> &&
    requires(const F& f, const providers::Table& table, const PlanInput& in, detail::usable_probe& usable) {
      { f.plan(table, in, usable) } -> std::same_as<Candidates>;
    };

}  // namespace governed::fallback
