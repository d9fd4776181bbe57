#pragma once
/// @file
/// `LimitSet<Limiter>`: every limit of one (provider, account, model group), taken all or none.

#include <governed/continuation.hpp>
#include <governed/dimension.hpp>
#include <governed/limiter/detail/wait_line.hpp>
#include <governed/limiter/concept.hpp>
#include <governed/limiter/concurrency.hpp>
#include <governed/limiter/gcra.hpp>
#include <governed/limiter/limit.hpp>
#include <governed/limiter/stagger.hpp>
#include <governed/result.hpp>
#include <governed/shared_limits.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace governed {

/// The published limits of one (provider, account, model group); zero means "no such limit".
struct LimitSetConfig {
  std::uint64_t requests_per_minute = 0;
  std::uint64_t tokens_per_minute = 0;
  std::uint64_t input_tokens_per_minute = 0;
  std::uint64_t output_tokens_per_minute = 0;
  std::uint64_t requests_per_day = 0;
  std::uint64_t tokens_per_day = 0;
  /// At most this many calls in flight (0: unbounded).
  std::uint32_t max_concurrency = 0;
  /// At least this long between launches (0: none).
  Duration stagger{0};
  /// Share of each published limit kept in reserve: aim at 85 % by default.
  double headroom = 0.15;
  /// The largest request expected, in tokens: the token dimensions' burst is at least this,
  /// so such a request passes without first waiting for the limit to rest. 0: unknown — the
  /// burst is then the headroom's share of the limit, and at least a tenth of it. Either way a
  /// larger request, up to the published limit itself, is admitted once the limit has rested
  /// enough for it (each limiter family says when), never refused; only one above the
  /// published limit is. Declaring it trades sustained rate for bursts: at 30 000 TPM and
  /// 15 % headroom, undeclared plans a 4 500 burst and 25 500 a minute, 7 000 declared plans
  /// 7 000 and 23 000 a minute.
  std::uint64_t largest_request_tokens = 0;
  /// How much later than another a call admitted at the same instant may reach the provider
  /// (network, connection set-up, scheduling): each limit is planned over its window plus
  /// this, so a late arrival can not push a provider's exact sliding window over the limit.
  /// 0 (the default) plans to the limit exactly, which a token-bucket provider (OpenAI,
  /// Anthropic) tolerates; 1 s costs a per-minute limit 1/61 of its rate.
  Duration skew{0};
};

/// What one call costs in each dimension. `input_tokens + output_tokens` is its token count;
/// `input_tokens_per_minute` takes the input part, `output_tokens_per_minute` the output part.
struct Cost {
  std::uint64_t requests = 1;
  std::uint64_t input_tokens = 0;
  std::uint64_t output_tokens = 0;

  constexpr std::uint64_t tokens() const noexcept { return input_tokens + output_tokens; }
  /// The cells `d` takes for this cost.
  constexpr std::uint64_t in(Dimension d) const noexcept {
    switch (d) {
      case Dimension::requests_per_minute:
      case Dimension::requests_per_day: return requests;
      case Dimension::tokens_per_minute:
      case Dimension::tokens_per_day: return tokens();
      case Dimension::input_tokens_per_minute: return input_tokens;
      case Dimension::output_tokens_per_minute: return output_tokens;
      default: return 0;
    }
  }
};

/// The outcome of `LimitSet::admit`. Admitted: the cells are taken and, when the set bounds
/// concurrency, `lease` holds a slot until it is destroyed or released (keep the admission
/// alive for the duration of the call). Refused: nothing is taken; `bound` names the dimension
/// that refused with the longest wait and `retry_after` says when the request would be
/// admissible by every dimension, if nothing else took cells first.
struct Admission {
  bool admitted = false;
  Dimension bound = Dimension::none;
  Duration retry_after{0};
  Instant at{};
  Cost cost{};
  /// Per rate dimension, the limiter's stamp of this admission (what `reconcile` needs).
  std::array<Instant, rate_dimensions> stamps{};
  /// Admitted by the set's shared store (see `SharedLimits`), whose stamps need these too.
  bool shared = false;
  std::array<std::int64_t, rate_dimensions> epochs{};
  /// Refused because another process recorded the allowance behind this set as spent until
  /// then (see `SharedLimits::exhaust`): a wait would not help, another account would.
  std::optional<WallTime> exhausted_until{};
  limiter::concurrency::Lease lease{};

  explicit operator bool() const noexcept { return admitted; }
};

/// The limits of one (provider, account, model group): requests and tokens per minute (tokens
/// also split into input and output where the provider does), requests and tokens per day,
/// concurrency and launch stagger. `admit` takes from every dimension or from none.
///
/// On an existing set, admission takes no lock with `limiter::gcra` (one CAS per dimension)
/// and never allocates.
template <limiter::RateLimiter Limiter = limiter::gcra>
class LimitSet {
 public:
  using limiter_type = Limiter;

  /// Builds the set from a `plan` of its rate dimensions (see `plan` and `make_limit_set`).
  explicit LimitSet(const LimitSetConfig& config, const std::array<std::optional<limiter::Limit>, rate_dimensions>& plan)
      : config_(config), concurrency_(config.max_concurrency), stagger_(config.stagger) {
    for (std::size_t i = 0; i < rate_dimensions; ++i) {
      if (plan[i]) limiters_[i].emplace(*plan[i]);
    }
  }

  LimitSet(const LimitSet&) = delete;
  LimitSet& operator=(const LimitSet&) = delete;

  /// Plans every published limit with the set's headroom (see each family's `derive`).
  static Result<std::array<std::optional<limiter::Limit>, rate_dimensions>> plan(const LimitSetConfig& c) {
    std::array<std::optional<limiter::Limit>, rate_dimensions> out{};
    const std::array<std::uint64_t, rate_dimensions> published{
        c.requests_per_minute, c.tokens_per_minute, c.input_tokens_per_minute,
        c.output_tokens_per_minute, c.requests_per_day, c.tokens_per_day};
    for (std::size_t i = 0; i < rate_dimensions; ++i) {
      if (published[i] == 0) continue;
      const auto d = static_cast<Dimension>(i);
      const bool requests = d == Dimension::requests_per_minute || d == Dimension::requests_per_day;
      const bool daily = d == Dimension::requests_per_day || d == Dimension::tokens_per_day;
      std::uint64_t largest = 1;
      if (!requests) {
        largest = c.largest_request_tokens > 0 ? c.largest_request_tokens
                                               : std::max<std::uint64_t>(1, (published[i] + 9) / 10);
      }
      const limiter::PublishedLimit p{published[i], daily ? Duration{std::chrono::hours{24}}
                                                          : Duration{std::chrono::minutes{1}}};
      auto limit = Limiter::derive(p, limiter::Headroom{c.headroom, largest, c.skew});
      if (!limit) {
        return fail(limit.error().code,
                    fmt::format("{}: {}", to_string(d), limit.error().message));
      }
      out[i] = *limit;
    }
    return out;
  }

  /// Takes `cost` from every dimension at `now`, or from none.
  ///
  /// An error only when the cost can never be admitted (more than a dimension's published
  /// limit): the caller must split the request or use a larger limit, since no wait would
  /// help. A cost above a dimension's burst but within its limit waits like any other.
  Result<Admission> admit(const Cost& cost, Instant now) { return admit(cost, now, WallTime{}); }

  /// As above, with the wall-clock time (what a shared set compares exhaustion records with,
  /// when its clock is not real time).
  Result<Admission> admit(const Cost& cost, Instant now, WallTime wall) {
    if (!shared_) return admit_local(cost, now);
    auto ask = prepare_shared(cost, now);
    if (!ask) return tl::unexpected(std::move(ask.error()));
    if (ask->answered) return std::move(ask->admission);
    return shared_outcome(std::move(ask->admission), shared_->admit(ask->cells, now, wall), cost, now);
  }

  /// As `admit`, completing `done` with the admission on its executor instead of returning: a
  /// set whose rate dimensions live in a shared store asks it without blocking the calling
  /// thread (see `SharedLimits::async_admit`); any other set answers at once (posted, never
  /// inside this call). The set must outlive the call.
  void async_admit(const Cost& cost, Instant now, WallTime wall, Continuation<Result<Admission>> done) {
    if (!shared_) return std::move(done).post(admit_local(cost, now));
    auto ask = prepare_shared(cost, now);
    if (!ask) return std::move(done).post(tl::unexpected(std::move(ask.error())));
    if (ask->answered) return std::move(done).post(std::move(ask->admission));
    // The store's decision comes back on the caller's executor, where it becomes the admission.
    auto executor = done.shared_executor();
    shared_->async_admit(ask->cells, now, wall,
                         SharedLimits::DecisionHandler(
                             std::move(executor), [this, a = std::move(ask->admission), cost, now,
                                                   done = std::move(done)](Result<SharedDecision> d) mutable {
                               std::move(done)(shared_outcome(std::move(a), std::move(d), cost, now));
                             }));
  }

 private:
  /// The admission of a set whose limits are all this process's.
  Result<Admission> admit_local(const Cost& cost, Instant now) {
    if (auto too_big = check_capacity(cost)) return tl::unexpected(std::move(*too_big));
    Admission a;
    a.at = now;
    a.cost = cost;
    // Concurrency first: it is the only dimension whose refusal has no wait to report, and
    // a slot is cheap to give back.
    if (!concurrency_.unbounded()) {
      a.lease = concurrency_.try_acquire();
      if (!a.lease) {
        a.bound = Dimension::concurrency;
        return a;
      }
    }
    std::size_t taken = 0;
    for (; taken < rate_dimensions; ++taken) {
      auto& l = limiters_[taken];
      if (!l) continue;
      const std::uint64_t n = cost.in(static_cast<Dimension>(taken));
      if (n == 0) continue;
      const limiter::Decision d = l->try_acquire(n, now);
      if (!d.admitted()) break;
      a.stamps[taken] = d.stamp;
    }
    bool stagger_ok = true;
    if (taken == rate_dimensions && stagger_.enabled()) stagger_ok = stagger_.try_acquire(now).admitted();
    if (taken == rate_dimensions && stagger_ok) {
      a.admitted = true;
      return a;
    }
    // Roll back what was taken (as a cancelled reservation: an oversized admission gets back
    // the rest it spent too), then report the wait of the slowest dimension.
    for (std::size_t i = 0; i < taken; ++i) {
      auto& l = limiters_[i];
      if (l) {
        const std::uint64_t n = cost.in(static_cast<Dimension>(i));
        if (n) l->cancel(limiter::Reservation{now, n, a.stamps[i]}, now);
      }
    }
    a.lease.release();
    fill_wait(a, cost, now);
    return a;
  }

 public:
  /// `admit(Cost{requests, tokens, 0}, now)`: all tokens counted as input.
  Result<Admission> admit(std::uint64_t requests, std::uint64_t tokens, Instant now) {
    return admit(Cost{requests, tokens, 0}, now);
  }

  /// Corrects the token dimensions once the real usage is known: gives back what the estimate
  /// over-counted, takes what it under-counted (a debt later requests wait out).
  void reconcile(const Admission& a, const Cost& actual, Instant now) {
    if (!a.admitted) return;
    if (a.shared) {
      std::array<std::uint64_t, rate_dimensions> was{}, is{};
      SharedDecision d;
      for (std::size_t i = 0; i < rate_dimensions; ++i) {
        was[i] = a.cost.in(static_cast<Dimension>(i));
        is[i] = actual.in(static_cast<Dimension>(i));
        d.stamps[i] = a.stamps[i].time_since_epoch().count();
        d.epochs[i] = a.epochs[i];
      }
      if (was != is) shared_->reconcile(d, was, is, now);
      return;
    }
    for (std::size_t i = 0; i < rate_dimensions; ++i) {
      auto& l = limiters_[i];
      if (!l) continue;
      const auto d = static_cast<Dimension>(i);
      const std::uint64_t was = a.cost.in(d);
      const std::uint64_t is = actual.in(d);
      if (is < was) l->refund(was - is, a.stamps[i], now);
      else if (is > was) l->consume(is - was, now);
    }
  }

  /// Adopts a provider's own count for one dimension (from its rate-limit headers), where it is
  /// more conservative than ours.
  void sync(Dimension d, std::uint64_t remaining, Duration reset_after, Instant now) {
    if (shared_ && static_cast<std::size_t>(d) < rate_dimensions && limits_[static_cast<std::size_t>(d)]) {
      shared_->sync(static_cast<std::size_t>(d), remaining, reset_after, now);
      return;
    }
    if (auto* l = rate_limiter(d)) l->sync(remaining, reset_after, now);
  }

  /// Moves the set's rate dimensions to a shared store; its own limiters then admit only while
  /// the store can not be reached, and only if `failure` says so. Before first use only.
  void share(std::unique_ptr<SharedLimits> shared, SharedFailure failure,
             const std::array<std::optional<limiter::Limit>, rate_dimensions>& limits) {
    shared_ = std::move(shared);
    failure_ = failure;
    limits_ = limits;
    for (std::size_t i = 0; i < rate_dimensions; ++i)
      shared_available_[i].store(limits_[i] ? limits_[i]->burst : UINT64_MAX, std::memory_order_relaxed);
  }

  /// Tells every process sharing this set that its allowance is spent until `until` (wall
  /// clock; `wall` is now); a set kept in this process only has nobody to tell.
  void exhaust(WallTime until, WallTime wall) {
    if (shared_) shared_->exhaust(until, wall);
  }

  /// Tells every process sharing this set that its target is cooling down until `until`.
  void cool(WallTime until, WallTime wall) {
    if (shared_) shared_->cool(until, wall);
  }

  /// Whether the rate dimensions live in a shared store.
  bool shared() const noexcept { return shared_ != nullptr; }

  /// The share of `d`'s burst that could be taken at once now, from 0 to 1 (1 when `d` has no
  /// limit): how rested the dimension is, whichever store holds it.
  double fill(Dimension d, Instant now) const {
    const auto i = static_cast<std::size_t>(d);
    if (i >= rate_dimensions) return 1.0;
    if (shared_) {
      if (!limits_[i]) return 1.0;
      const auto burst = static_cast<double>(std::max<std::uint64_t>(1, limits_[i]->burst));
      return std::min(1.0, static_cast<double>(shared_available_[i].load(std::memory_order_relaxed)) / burst);
    }
    if (!limiters_[i]) return 1.0;
    const auto burst = static_cast<double>(std::max<std::uint64_t>(1, limiters_[i]->limit().burst));
    return std::min(1.0, static_cast<double>(limiters_[i]->available(now)) / burst);
  }

  /// The limiter of a rate dimension, or null when the set has no such limit.
  Limiter* rate_limiter(Dimension d) noexcept {
    const auto i = static_cast<std::size_t>(d);
    return i < rate_dimensions && limiters_[i] ? &*limiters_[i] : nullptr;
  }
  const Limiter* rate_limiter(Dimension d) const noexcept {
    const auto i = static_cast<std::size_t>(d);
    return i < rate_dimensions && limiters_[i] ? &*limiters_[i] : nullptr;
  }

  /// Cells of `d` that could be taken at once now (requests or tokens); unbounded dimensions
  /// answer the maximum.
  std::uint64_t available(Dimension d, Instant now) const {
    if (const auto* l = rate_limiter(d)) return l->available(now);
    if (d == Dimension::concurrency && !concurrency_.unbounded())
      return concurrency_.max() - std::min(concurrency_.max(), concurrency_.in_flight());
    return UINT64_MAX;
  }

  const LimitSetConfig& config() const noexcept { return config_; }
  const limiter::concurrency& concurrency() const noexcept { return concurrency_; }
  limiter::concurrency& concurrency() noexcept { return concurrency_; }
  const limiter::stagger& stagger() const noexcept { return stagger_; }

  /// The calls waiting for this set, in the order they are served (see limiter/detail/wait_line.hpp).
  detail::WaitLine& line() noexcept { return line_; }
  const detail::WaitLine& line() const noexcept { return line_; }

 private:
  /// What a shared admission asks the store for, or its answer when the process answers it
  /// alone: a cost over a published limit (an error), the concurrency bound or the launch spacing, which
  /// are per process and checked first so that a refusal takes nothing shared.
  struct SharedAsk {
    bool answered = false;
    Admission admission;  ///< answered: the answer; else the lease taken, to complete
    std::array<std::uint64_t, rate_dimensions> cells{};
  };

  Result<SharedAsk> prepare_shared(const Cost& cost, Instant now) {
    SharedAsk ask;
    for (std::size_t i = 0; i < rate_dimensions; ++i) {
      if (!limits_[i]) continue;
      ask.cells[i] = cost.in(static_cast<Dimension>(i));
      if (ask.cells[i] > limiter::largest_request(*limits_[i]))
        return tl::unexpected(
            capacity_error(ask.cells[i], static_cast<Dimension>(i), limiter::largest_request(*limits_[i])));
    }
    Admission& a = ask.admission;
    a.at = now;
    a.cost = cost;
    if (!concurrency_.unbounded()) {
      a.lease = concurrency_.try_acquire();
      if (!a.lease) {
        a.bound = Dimension::concurrency;
        ask.answered = true;
        return ask;
      }
    }
    if (stagger_.enabled()) {
      if (const auto d = stagger_.peek(now); !d.admitted()) {
        a.lease.release();
        a.bound = Dimension::stagger;
        a.retry_after = d.retry_after;
        ask.answered = true;
      }
    }
    return ask;
  }

  /// The admission the store's decision `d` makes of `a` (prepared by `prepare_shared`). While
  /// the store can not be reached, fail-open admits against this process's share of the limit.
  Result<Admission> shared_outcome(Admission a, Result<SharedDecision> d, const Cost& cost, Instant now) {
    if (!d) {
      a.lease.release();
      if (failure_ == SharedFailure::fail_closed)
        return fail(d.error().code == Errc::timed_out ? Errc::timed_out : Errc::io_error,
                    fmt::format("the shared rate limits can not be reached, and calls are refused until they can: {}",
                                d.error().message));
      // More than this process's share admits at once, but within the published limit (checked
      // before asking): only the store can admit it, so it waits for the store to answer again.
      // The local share's `exceeds_capacity` would drop the target as unservable for good.
      if (const Dimension over = beyond_local_share(cost); over != Dimension::none) {
        a.bound = over;
        a.retry_after = shared_->reconnect_wait();
        return a;
      }
      return admit_local(cost, now);
    }
    for (std::size_t i = 0; i < rate_dimensions; ++i)
      if (limits_[i] && d->available[i] != UINT64_MAX)
        shared_available_[i].store(d->available[i], std::memory_order_relaxed);
    if (!d->admitted) {
      a.lease.release();
      a.exhausted_until = d->exhausted_until;
      if (d->exhausted_until) return a;
      a.bound = d->bound < rate_dimensions ? static_cast<Dimension>(d->bound) : Dimension::none;
      a.retry_after = d->retry_after;
      return a;
    }
    if (stagger_.enabled()) (void)stagger_.try_acquire(now);
    a.admitted = true;
    a.shared = true;
    for (std::size_t i = 0; i < rate_dimensions; ++i) {
      a.stamps[i] = Instant{Duration{d->stamps[i]}};
      a.epochs[i] = d->epochs[i];
    }
    return a;
  }

  /// The first rate dimension of which `cost` takes more than the local limiters ever admit at
  /// once (in a shared set, one replica's share of the limit), or `none`.
  Dimension beyond_local_share(const Cost& cost) const {
    for (std::size_t i = 0; i < rate_dimensions; ++i) {
      const auto& l = limiters_[i];
      const auto d = static_cast<Dimension>(i);
      if (l && cost.in(d) > limiter::largest_request(l->limit())) return d;
    }
    return Dimension::none;
  }

  std::optional<Error> check_capacity(const Cost& cost) const {
    for (std::size_t i = 0; i < rate_dimensions; ++i) {
      const auto& l = limiters_[i];
      if (!l) continue;
      const auto d = static_cast<Dimension>(i);
      const std::uint64_t n = cost.in(d);
      const std::uint64_t most = limiter::largest_request(l->limit());
      if (n > most) return capacity_error(n, d, most);
    }
    return std::nullopt;
  }

  /// `n` cells of `d` are more than it admits in one request (its published limit, when
  /// planned): no wait would ever admit them.
  static Error capacity_error(std::uint64_t n, Dimension d, std::uint64_t most) {
    const bool requests = d == Dimension::requests_per_minute || d == Dimension::requests_per_day;
    const bool daily = d == Dimension::requests_per_day || d == Dimension::tokens_per_day;
    return Error{Errc::exceeds_capacity,
                 fmt::format("{} {} can never be admitted: the {} limit admits at most {} in any {}, so the "
                             "request must be split or sent where the limit is larger",
                             n, requests ? "requests" : "tokens", to_string(d), most, daily ? "day" : "minute")};
  }

  void fill_wait(Admission& a, const Cost& cost, Instant now) const {
    a.retry_after = Duration{0};
    a.bound = Dimension::none;
    for (std::size_t i = 0; i < rate_dimensions; ++i) {
      const auto& l = limiters_[i];
      if (!l) continue;
      const std::uint64_t n = cost.in(static_cast<Dimension>(i));
      if (n == 0) continue;
      const auto d = l->peek(n, now);
      if (!d.admitted() && (a.bound == Dimension::none || d.retry_after > a.retry_after)) {
        a.retry_after = d.retry_after;
        a.bound = static_cast<Dimension>(i);
      }
    }
    if (stagger_.enabled()) {
      const auto d = stagger_.peek(now);
      if (!d.admitted() && (a.bound == Dimension::none || d.retry_after > a.retry_after)) {
        a.retry_after = d.retry_after;
        a.bound = Dimension::stagger;
      }
    }
  }

  LimitSetConfig config_;
  std::array<std::optional<Limiter>, rate_dimensions> limiters_{};
  limiter::concurrency concurrency_;
  limiter::stagger stagger_;
  detail::WaitLine line_;
  /// The shared store of the rate dimensions, its limits (the whole published limits, where
  /// the local limiters hold one replica's share), and what it last said each could take.
  std::unique_ptr<SharedLimits> shared_{};
  SharedFailure failure_ = SharedFailure::fail_open;
  std::array<std::optional<limiter::Limit>, rate_dimensions> limits_{};
  std::array<std::atomic<std::uint64_t>, rate_dimensions> shared_available_{};
};

/// Builds a limit set from published limits, or the error naming the limit that can not be
/// planned. The set is not movable (its limiters are shared atomics), so it comes back on the
/// heap; a `LimitStore` builds its sets in place instead.
template <limiter::RateLimiter Limiter = limiter::gcra>
Result<std::unique_ptr<LimitSet<Limiter>>> make_limit_set(const LimitSetConfig& config) {
  auto plan = LimitSet<Limiter>::plan(config);
  if (!plan) return tl::unexpected(plan.error());
  return std::make_unique<LimitSet<Limiter>>(config, *plan);
}

}  // namespace governed
