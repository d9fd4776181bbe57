#pragma once
/// @file
/// Building a call's `CallRecord` (observe/stats.hpp): the figures a call counts on its way
/// (`CallCounts`), how it ended (`CallEnd`), and the path it took for the call hook
/// (`CallPath`: the keys used, each target left and why). The walk keeps these and hands them
/// here once, when the call ends.

#include <governed/observe/stats.hpp>
#include <governed/providers/usage.hpp>
#include <governed/time.hpp>
#include <governed/trace.hpp>

#include <boost/container/static_vector.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed {

/// What a call counted on its way.
struct CallCounts {
  std::uint32_t attempts = 0;      ///< transport attempts, across every target
  std::uint32_t rate_limited = 0;  ///< replies that were the provider limiting the call
  std::uint32_t retries = 0;       ///< attempts after the first on one target
  std::uint32_t fallbacks = 0;     ///< moves to another model or provider
  Duration waited{0};              ///< waiting for admission, in total
  Duration backed_off{0};          ///< sleeping between retries, in total
};

/// How a call ended: where (the target that answered or was tried last, else the names the
/// caller asked for), and with what.
struct CallEnd {
  std::string_view provider, model;
  bool success = false;
  bool cache_hit = false;
  providers::Usage usage{};
  double cost = 0;
  std::optional<Errc> error{};
  std::string_view message{};
};

/// What the caller asked for, as the call hook reports it.
struct CallAsked {
  std::string_view provider, model, task, task_id;
};

/// The record the statistics count: how the call ended, what it counted, its task, how long
/// it took from `at` (its start, wall time), and the key of its last attempt.
inline CallRecord call_record(const CallEnd& end, const CallCounts& n, std::string_view task, Duration latency,
                              WallTime at, std::string_view key_fingerprint) noexcept {
  CallRecord rec;
  rec.provider = end.provider;
  rec.model = end.model;
  rec.task = task;
  rec.usage = end.usage;
  rec.cost_usd = end.cost;
  rec.latency = latency;
  rec.success = end.success;
  rec.cache_hit = end.cache_hit;
  rec.rate_limited = n.rate_limited;
  rec.retries = n.retries;
  rec.fallbacks = n.fallbacks;
  rec.error = end.error;
  rec.error_message = end.message;
  rec.at = at;
  rec.key_fingerprint = key_fingerprint;
  return rec;
}

/// The path a call took, gathered only while a call hook is installed: the keys used in order
/// (a key used again at once is said once), and each target left with the sentence that
/// decided it. The target left last is a move only once the call went on to another one.
class CallPath {
 public:
  /// An attempt is to go out with the key of fingerprint `fp`.
  void used_key(std::string_view fp) {
    if ((keys_.empty() || keys_.back() != fp) && keys_.size() < keys_.capacity()) keys_.push_back(fp);
  }

  /// The call leaves the target (`provider`, `model`) because of `reason`.
  void left(std::string_view provider, std::string_view model, std::string reason) {
    hops_.push_back(Hop{provider, model, std::move(reason)});
    open_ = true;
  }

  /// The call entered another target: the one left last is a move.
  void moved() noexcept { open_ = false; }

  /// Completes `rec` for the call hook with the keys and moves; the moves are kept in `hops`,
  /// which must outlive the record's use.
  void fill(CallRecord& rec, std::vector<FallbackHop>& hops) const {
    const std::size_t moves = open_ ? hops_.size() - 1 : hops_.size();
    hops.reserve(moves);
    for (std::size_t i = 0; i < moves; ++i) hops.push_back({hops_[i].provider, hops_[i].model, hops_[i].reason});
    rec.keys = {keys_.data(), keys_.size()};
    rec.hops = hops;
  }

 private:
  struct Hop {
    std::string_view provider, model;
    std::string reason;
  };
  boost::container::static_vector<std::string_view, 8> keys_{};
  std::vector<Hop> hops_{};
  bool open_ = false;
};

/// Completes `rec` for the call hook: what was asked, the call's trace and span, its counts,
/// whether the caller cancelled it, and where its budgets stood.
inline void add_hook_details(CallRecord& rec, const CallAsked& asked, const TraceContext& trace, const CallCounts& n,
                             bool cancelled, const BudgetState& budget) noexcept {
  rec.request_provider = asked.provider;
  rec.request_model = asked.model;
  rec.task_id = asked.task_id;
  rec.trace_id = trace.trace_id;
  rec.span_id = trace.parent_id;
  rec.attempts = n.attempts;
  rec.waited = n.waited;
  rec.backed_off = n.backed_off;
  rec.cancelled = cancelled;
  rec.budget = budget;
}

}  // namespace governed
