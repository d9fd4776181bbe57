#pragma once
/// @file
/// `walk::CallFacts`: what a call knows of itself once it has begun — when it began (one
/// reading of each clock serves the whole walk), what it is estimated to use and needs of a
/// model, the candidates it passed over for lack of it, the budgets it holds, the key of its cached answer, its trace. The walk's steps read and settle them; the
/// walk owns one.

#include <governed/budget/spend.hpp>
#include <governed/budget/task.hpp>
#include <governed/cache.hpp>
#include <governed/providers/table.hpp>
#include <governed/providers/tokens.hpp>
#include <governed/request_needs.hpp>
#include <governed/time.hpp>
#include <governed/trace.hpp>

#include <cstdint>
#include <optional>

namespace governed::walk {

struct CallFacts {
  Instant started{};
  WallTime started_wall{};
  providers::TokenEstimate estimate{};
  /// The model the call asked for, whose parameters made the estimate, and its prompt
  /// estimate before calibration: the text part, and the part counted by rule (images, pages,
  /// the tool prompt).
  const providers::Model* origin_model = nullptr;
  std::int64_t raw_prompt = 0;
  std::int64_t prompt_by_rule = 0;
  /// What a candidate's model must carry (request_needs.hpp), and how many candidates were
  /// skipped for lacking it: when that is every one, the call ends as unsupported.
  Needs needs{};
  std::uint32_t stated_skips = 0;
  /// The task's call budget (an empty ticket for a call of no task) and the spend budget's
  /// hold on the current candidate's worst case.
  TaskTicket task_ticket{};
  SpendReservation spend_hold{};
  /// Set for a cacheable call the cache could not answer: its answer is kept under it.
  std::optional<CacheKey> cache_key{};
  /// The call's trace: its trace id and flags, and as `parent_id` the call's own span.
  TraceContext trace{};

  /// The wall time at monotonic `t` of this call.
  WallTime wall_at(Instant t) const noexcept { return started_wall + (t - started); }
};

}  // namespace governed::walk
