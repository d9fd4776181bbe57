#pragma once
/// @file
/// `fallback::none`: the requested model or nothing.

#include <governed/family.hpp>
#include <governed/fallback/candidates.hpp>

namespace governed::fallback {

/// Only the requested model (if it fits and is usable): a call that cannot run there fails
/// with the reason and the wait, and never moves.
struct none {
  using family = governed::family::fallback;
  static constexpr bool origin_first = true;

  template <class Usable>
  Candidates plan(const providers::Table& table, const PlanInput& in, Usable&& usable) const {
    Candidates out;
    detail::offer(out, table, table.provider(in.provider), in.model, in, usable);
    return out;
  }
};

}  // namespace governed::fallback
