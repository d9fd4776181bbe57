#pragma once
/// @file
/// `walk::CandidateCursor`: where a call stands in its plan — the candidates it tries in
/// order (walk/plan.hpp), the one it is on, whether it has moved from one it tried, and the
/// provider it entered last. The rest of the fallback policy's order is planned only when the
/// first candidates are spent. A candidate passed over without a word (nothing was tried on
/// it) is skipped; one given up on is left, and the next one entered is a move: to another
/// model, or to another provider. At the spend limit, the cheapest candidate left whose worst
/// case still fits is brought forward. tests/walk/candidates.cpp drives it.

#include <governed/fallback/candidates.hpp>
#include <governed/providers/cost.hpp>
#include <governed/providers/table.hpp>
#include <governed/providers/tokens.hpp>
#include <governed/walk/plan.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

namespace governed::walk {

/// How the call reached the candidate it enters.
enum class Reached : std::uint8_t {
  first,           ///< the first candidate it tries
  other_model,     ///< a move to another model of the provider it tried last
  other_provider,  ///< a move to another provider
};

template <class Fallback>
class CandidateCursor {
 public:
  /// The plan a call starts with, from `origin` (walk/plan.hpp's `plan_first`); false when no
  /// candidate fits the call at all.
  bool plan(const Fallback& fallback, const providers::Table& table, std::span<const ModelChoice> route,
            const Origin& origin, const fallback::PlanInput& input) {
    input_ = input;
    rest_planned_ = plan_first(fallback, table, route, origin, input_, plan_);
    return !plan_.empty();
  }

  const fallback::PlanInput& input() const noexcept { return input_; }

  /// Whether a candidate is there to try; plans the rest of the policy's order when the first
  /// candidates are spent.
  bool more(const Fallback& fallback, const providers::Table& table) {
    if (cursor_ >= plan_.size() && !rest_planned_) plan_rest(fallback, table);
    return cursor_ < plan_.size();
  }

  /// The candidates planned so far, in the order they are tried.
  std::span<const fallback::Candidate> planned() const noexcept { return {plan_.begin(), plan_.end()}; }

  /// Whether the call is on a candidate (not before its plan, nor past its end).
  bool on_candidate() const noexcept { return cursor_ < plan_.size(); }
  const fallback::Candidate& current() const noexcept { return plan_[cursor_]; }

  /// Passes the current candidate over without a word: nothing was tried on it.
  void skip() noexcept { ++cursor_; }

  /// Leaves the current candidate, given up on: the next one entered is a move.
  void leave() noexcept {
    ++cursor_;
    moved_ = true;
  }

  /// How the call reaches the current candidate.
  Reached reached() const noexcept {
    if (!moved_) return Reached::first;
    return last_provider_ == current().provider->name ? Reached::other_model : Reached::other_provider;
  }

  /// The call enters the current candidate.
  void enter() noexcept { last_provider_ = current().provider->name; }

  /// The provider of the candidate entered last (empty before the first).
  std::string_view last_provider() const noexcept { return last_provider_; }

  /// At the spend limit: the cheapest candidate after the current one whose worst case for
  /// `estimate` fits in `left` dollars, brought forward to be the next; none when none fits.
  const fallback::Candidate* bring_forward_cheapest(const Fallback& fallback, const providers::Table& table,
                                                    const providers::TokenEstimate& estimate, double left) {
    if (!rest_planned_) plan_rest(fallback, table);
    std::optional<std::size_t> best;
    double best_cost = 0;
    for (std::size_t i = cursor_ + 1; i < plan_.size(); ++i) {
      const double c = providers::estimated_cost(plan_[i].model->price, estimate).total_cost;
      if (c <= left && (!best || c < best_cost)) {
        best = i;
        best_cost = c;
      }
    }
    if (!best) return nullptr;
    // Brought forward: the candidates between are dearer.
    std::swap(plan_.begin()[cursor_ + 1], plan_.begin()[*best]);
    return &plan_[cursor_ + 1];
  }

 private:
  void plan_rest(const Fallback& fallback, const providers::Table& table) {
    rest_planned_ = true;
    walk::plan_rest(fallback, table, input_, plan_);
  }

  fallback::Candidates plan_{};
  fallback::PlanInput input_{};
  bool rest_planned_ = true;
  std::size_t cursor_ = 0;
  bool moved_ = false;
  std::string_view last_provider_{};
};

}  // namespace governed::walk
