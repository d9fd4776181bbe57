#pragma once
/// @file
/// USD budgets per calendar day and month, reserved before a call and settled after it.
///
/// A call is charged before it leaves at its worst case — the estimated prompt plus every
/// completion token it may generate, at the model's price — and after it at what it really
/// cost. A call is admitted only if everything already spent, everything held by calls in
/// flight and its own worst case together fit the limit, so eight threads racing for the last
/// dollar can not spend two. (An estimate that errs low can still carry the spend past the
/// limit by that error; the next call is then refused.)
///
/// Periods are calendar days and months in UTC, or in a configured IANA time zone: a team in
/// Berlin whose day starts at midnight local time sets "Europe/Berlin". When the period turns,
/// spend, holds and alerts start again from zero.
///
/// Alerts: each configured threshold (default 80 %) is reported once per period, by the
/// `settle` that carries the spend across it. At the limit the budget refuses; with
/// `AtLimit::downgrade` the error still comes, and `downgrades()` tells the caller to try the
/// cheapest model whose worst case fits `remaining()` before giving up.
///
/// Shared: made with a `SharedSpend` (a State whose `StateConfig::shared` is a Redis backend
/// gets one, see redis/spend.hpp), the spend, the holds and the alerts of every process live
/// in one store, so a budget is one budget however many replicas charge it. While the store
/// can not be reached, the budget follows the store's `SharedFailure`: refuse, or admit
/// against a local budget holding 1/N of what the store last said was left.
///
/// ```cpp
/// auto budget = governed::SpendBudget::make({.daily_usd = 10.0});
/// auto hold = budget->reserve(price, estimate, clock.wall_now());   // worst case
/// if (!hold) return tl::unexpected(hold.error());                    // budget_exhausted
/// ... call ...
/// for (auto& alert : hold->settle(real_cost.total_cost, clock.wall_now())) notify(alert.message);
/// ```

#include <governed/saturating.hpp>
#include <governed/providers/cost.hpp>
#include <governed/providers/messages.hpp>
#include <governed/result.hpp>
#include <governed/shared_limits.hpp>
#include <governed/time.hpp>

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace governed {

/// What a budget does when a call's worst case no longer fits.
enum class AtLimit : std::uint8_t {
  refuse,     ///< the call fails with `budget_exhausted`
  downgrade,  ///< the caller moves to the cheapest model that fits; refused if none does
};

/// A budget period.
enum class Period : std::uint8_t { day, month };

constexpr std::string_view to_string(Period p) noexcept { return p == Period::day ? "daily" : "monthly"; }

struct SpendBudgetConfig {
  std::optional<double> daily_usd{};    ///< no value: no daily limit
  std::optional<double> monthly_usd{};  ///< no value: no monthly limit
  /// Fractions of a limit that raise an alert, each once per period; in (0, 1].
  std::vector<double> alert_at{0.8};
  AtLimit at_limit = AtLimit::refuse;
  /// The zone whose midnight starts a day (IANA name). "UTC" needs no time-zone database.
  std::string time_zone = "UTC";
};

/// A threshold crossed: raised once per period and threshold.
struct BudgetAlert {
  Period period;
  double threshold;  ///< the fraction crossed: 0.8
  double spent_usd;  ///< settled spend in the period, this call included
  double limit_usd;
  std::string message;  ///< "80 % of the daily budget ($10.00) is spent: $8.01."
};

namespace detail {

/// Money is counted in integer nano-dollars: a small call costs a few micro-dollars, and sums
/// of doubles that are added and taken back again drift, which a limit check must not.
inline constexpr double nano_per_usd = 1e9;

inline std::int64_t to_nano_up(double usd) noexcept {
  const double n = std::ceil(usd * nano_per_usd);
  return n >= 9.2e18 ? std::int64_t{9'200'000'000'000'000'000} : static_cast<std::int64_t>(n);
}
inline std::int64_t to_nano(double usd) noexcept {
  const double n = std::round(usd * nano_per_usd);
  return n >= 9.2e18 ? std::int64_t{9'200'000'000'000'000'000} : static_cast<std::int64_t>(n);
}
inline double to_usd(std::int64_t nano) noexcept { return static_cast<double>(nano) / nano_per_usd; }

/// "$10.00", or "$0.0042" for sums below a cent.
inline std::string dollars(double usd) {
  return std::abs(usd) >= 0.01 || usd == 0 ? fmt::format("${:.2f}", usd) : fmt::format("${:.4f}", usd);
}

}  // namespace detail

/// One period as a shared spend store is told it: which calendar day or month (`id`, the local
/// date it starts: "2026-12-02", "2026-12"), when it ends, and its limit in nano-dollars.
struct SpendWindow {
  Period period = Period::day;
  std::string id{};
  WallTime end{};
  std::optional<std::int64_t> limit{};
};

/// What a shared spend store holds for one period, in nano-dollars.
struct SpendTotals {
  std::int64_t spent = 0;
  std::int64_t held = 0;
};

/// The store's answer to a reservation: the totals of both periods as it found them (before
/// this hold), and whether the hold was taken.
struct SharedSpendDecision {
  bool admitted = false;
  std::array<SpendTotals, 2> totals{};
};

/// An alert threshold as a shared store checks it: its name (so every process names it alike
/// whatever else it configured) and the spend, in nano-dollars, that reaches it.
struct SpendThreshold {
  std::string name;
  std::int64_t at = 0;
};

/// A threshold the store found crossed, once across every process sharing it.
struct SharedSpendAlert {
  std::size_t window = 0;  ///< 0: the day, 1: the month
  std::string threshold;
  std::int64_t spent = 0;
};

/// The day and month spend of a budget kept outside the process, checked and taken in one
/// step there, so that processes sharing it can not together spend past a limit.
class SharedSpend {
 public:
  virtual ~SharedSpend() = default;
  /// Holds `need` (nano-dollars) as `hold` in both `windows` if every limited one fits
  /// spent + held + need, else in none; `now` (wall clock) also drops holds whose owner never
  /// settled them. `need` empty: only reads the totals.
  virtual Result<SharedSpendDecision> reserve(const std::array<SpendWindow, 2>& windows,
                                              std::optional<std::int64_t> need, std::string_view hold,
                                              WallTime now) = 0;
  /// Drops `hold` from the periods it was taken in (`held_in`, by id) and charges `actual` to
  /// `windows` (the periods of `now`), returning the thresholds this charge crossed first.
  virtual Result<std::vector<SharedSpendAlert>> settle(std::string_view hold, const std::array<std::string, 2>& held_in,
                                                       const std::array<SpendWindow, 2>& windows, std::int64_t actual,
                                                       const std::array<std::vector<SpendThreshold>, 2>& thresholds,
                                                       WallTime now) = 0;
  /// Drops `hold` without charging anything; nobody waits for it.
  virtual void release(std::string_view hold, const std::array<std::string, 2>& held_in) noexcept = 0;
  /// A name for a new hold, unique across the processes sharing the store.
  virtual std::string next_hold() = 0;
  /// How many processes share the budget: while the store can not be reached, each spends at
  /// most 1/N of what was left.
  virtual unsigned replicas() const noexcept = 0;
  virtual SharedFailure on_failure() const noexcept = 0;
};

class SpendBudget;

/// A call's hold on the budget, at its worst-case cost. `settle` replaces the hold with the
/// real cost; destroyed unsettled (the call never went out), it gives the hold back.
/// Move-only; the `SpendBudget` it came from must outlive it.
class SpendReservation {
 public:
  SpendReservation() = default;
  SpendReservation(SpendReservation&& o) noexcept { *this = std::move(o); }
  inline SpendReservation& operator=(SpendReservation&& o) noexcept;
  SpendReservation(const SpendReservation&) = delete;
  SpendReservation& operator=(const SpendReservation&) = delete;
  ~SpendReservation() { release(); }

  /// Charges the real cost at `now` (to the period `now` falls in) and returns the alerts the
  /// charge raised.
  inline std::vector<BudgetAlert> settle(double actual_usd, WallTime now);
  /// The worst case held, in USD.
  double amount() const noexcept { return detail::to_usd(nano_); }
  bool active() const noexcept { return owner_ != nullptr; }
  /// Whether the hold lives in a shared store (else in this process).
  bool shared() const noexcept { return !hold_.empty(); }

 private:
  friend class SpendBudget;
  inline void release() noexcept;

  void* owner_ = nullptr;  // SpendBudget::Impl
  std::int64_t nano_ = 0;
  std::array<std::int64_t, 2> period_start_{};  // which day and month the hold was taken in
  std::string hold_{};                          // its name in the shared store; empty: held here
  std::array<std::string, 2> held_in_{};        // the store's ids of that day and month
};

/// Daily and monthly USD budgets. Thread-safe (one mutex, held for a few comparisons; a
/// shared budget asks its store without holding it).
class SpendBudget {
 public:
  /// Validates the configuration: limits positive and finite, thresholds in (0, 1], a time
  /// zone the database knows. With `shared`, the spend lives in that store (see the file
  /// comment).
  static Result<SpendBudget> make(SpendBudgetConfig config, std::shared_ptr<SharedSpend> shared = nullptr) {
    for (auto [limit, name] : {std::pair{config.daily_usd, "daily_usd"}, std::pair{config.monthly_usd, "monthly_usd"}}) {
      if (limit && !(std::isfinite(*limit) && *limit > 0))
        return fail(Errc::invalid_argument, fmt::format("spend budget: {} must be a positive amount", name));
    }
    for (double t : config.alert_at) {
      if (!(t > 0 && t <= 1))
        return fail(Errc::invalid_argument, fmt::format("spend budget: alert threshold {} is not in (0, 1]", t));
    }
    std::sort(config.alert_at.begin(), config.alert_at.end());
    config.alert_at.erase(std::unique(config.alert_at.begin(), config.alert_at.end()), config.alert_at.end());
    const date::time_zone* zone = nullptr;
    if (config.time_zone != "UTC" && config.time_zone != "Etc/UTC") {
      try {
        zone = date::locate_zone(config.time_zone);
      } catch (const std::exception&) {
        return fail(Errc::invalid_argument,
                    fmt::format("spend budget: unknown time zone \"{}\"", config.time_zone));
      }
    }
    return SpendBudget(std::move(config), zone, std::move(shared));
  }

  /// Holds `worst_case_usd` against every configured period. Refused with `budget_exhausted`
  /// (and `retry_after` = until the period that refused turns) when it does not fit.
  Result<SpendReservation> reserve(double worst_case_usd, WallTime now) {
    if (!(std::isfinite(worst_case_usd) && worst_case_usd >= 0))
      return fail(Errc::invalid_argument, "a call's worst-case cost must be a finite, non-negative amount");
    const std::int64_t need = detail::to_nano_up(worst_case_usd);
    if (impl_->shared) {
      const auto windows = impl_->windows_at(now);
      std::string hold = impl_->shared->next_hold();
      auto d = impl_->shared->reserve(windows, need, hold, now);
      if (d) {
        impl_->remember(windows, d->totals, d->admitted ? need : 0);
        if (!d->admitted) return tl::unexpected(impl_->shared_refusal(windows, d->totals, need, now));
        SpendReservation r;
        r.owner_ = impl_.get();
        r.nano_ = need;
        r.hold_ = std::move(hold);
        r.held_in_ = {windows[0].id, windows[1].id};
        return r;
      }
      if (impl_->shared->on_failure() == SharedFailure::fail_closed)
        return fail(d.error().code == Errc::timed_out ? Errc::timed_out : Errc::io_error,
                    fmt::format("the shared spend budget can not be reached, and calls are refused until it can: {}",
                                d.error().message));
      // Out of reach, fail-open: this process's share of what was left admits meanwhile.
    }
    std::lock_guard lk(impl_->m);
    std::optional<Error> refusal;
    for (auto& w : impl_->windows) {
      impl_->roll(w, now);
      const auto limit = impl_->local_limit(w);
      if (!limit) continue;
      if (detail::sat_add(detail::sat_add(w.spent, w.reserved), need) > *limit) {
        const Duration wait = w.end - now;
        if (!refusal || wait > *refusal->retry_after)
          refusal = impl_->refusal(w.period, *limit, w.spent, w.reserved, need, wait);
      }
    }
    if (refusal) return tl::unexpected(std::move(*refusal));
    SpendReservation r;
    r.owner_ = impl_.get();
    r.nano_ = need;
    for (std::size_t i = 0; i < 2; ++i) {
      impl_->windows[i].reserved = detail::sat_add(impl_->windows[i].reserved, need);
      r.period_start_[i] = impl_->windows[i].start.time_since_epoch().count();
    }
    return r;
  }

  /// Holds the worst case of a request: its estimated prompt and every completion token it
  /// may generate, at `price` (see providers/cost.hpp).
  Result<SpendReservation> reserve(const providers::Price& price, const providers::TokenEstimate& estimate,
                                   WallTime now) {
    return reserve(providers::estimated_cost(price, estimate).total_cost, now);
  }

  /// Charges spend that had no hold (a call made outside the governor, a correction).
  std::vector<BudgetAlert> record(double usd, WallTime now) {
    return impl_->settle_shared_or_local({}, {}, 0, {}, detail::to_nano(std::max(0.0, std::isfinite(usd) ? usd : 0.0)),
                                         now);
  }

  /// Settled spend in the period containing `now` (every process's, when shared).
  double spent(Period p, WallTime now) const { return detail::to_usd(totals(now)[std::size_t(p)].spent); }
  /// Held by calls in flight in the period containing `now`.
  double reserved(Period p, WallTime now) const { return detail::to_usd(totals(now)[std::size_t(p)].held); }
  std::optional<double> limit(Period p) const {
    const auto& l = impl_->windows[std::size_t(p)].limit;
    return l ? std::optional<double>(detail::to_usd(*l)) : std::nullopt;
  }

  /// What a new call may still hold: the least headroom over the configured periods (no limit
  /// configured: infinity). The downgrade path picks the cheapest model whose worst case
  /// fits this.
  double remaining(WallTime now) const {
    double r = std::numeric_limits<double>::infinity();
    const auto t = totals(now);
    for (Period p : {Period::day, Period::month}) {
      const auto& x = t[std::size_t(p)];
      if (auto l = limit(p)) r = std::min(r, std::max(0.0, *l - detail::to_usd(x.spent) - detail::to_usd(x.held)));
    }
    return r;
  }

  /// When the period containing `now` ends (the next local midnight, the first of next month).
  WallTime period_end(Period p, WallTime now) const {
    std::unique_lock lk(impl_->m);
    auto w = impl_->windows[std::size_t(p)];
    lk.unlock();
    impl_->roll(w, now);
    return w.end;
  }

  AtLimit at_limit() const noexcept { return impl_->config.at_limit; }
  bool downgrades() const noexcept { return impl_->config.at_limit == AtLimit::downgrade; }
  /// Whether the spend lives in a shared store.
  bool shared() const noexcept { return impl_->shared != nullptr; }

 private:
  friend class SpendReservation;

  struct Impl {
    struct Window {
      Period period;
      std::optional<std::int64_t> limit;
      WallTime start = WallTime::max();  // [start, end): the period the counters belong to
      WallTime end = WallTime::min();
      std::string id{};  // the local date it starts on: "2026-12-02", "2026-12"
      std::int64_t spent = 0;
      std::int64_t reserved = 0;
      std::uint64_t alerted = 0;  // bit i: threshold i reported this period
    };

    SpendBudgetConfig config;
    const date::time_zone* zone;  // nullptr: UTC
    std::shared_ptr<SharedSpend> shared;
    std::mutex m;
    std::array<Window, 2> windows;
    /// Shared: what the store last said was spent or held in each period (by id), from which
    /// the local share is worked out while it can not be reached.
    std::array<std::pair<std::string, std::int64_t>, 2> seen{};

    /// Moves `w` to the period containing `now` when it has left its own, starting afresh.
    void roll(Window& w, WallTime now) const {
      if (now >= w.start && now < w.end) return;
      using namespace std::chrono;
      const auto secs = floor<seconds>(now);
      date::local_days today;
      if (zone) today = date::floor<date::days>(zone->to_local(secs));
      else today = date::local_days{date::floor<date::days>(secs).time_since_epoch()};
      date::local_days first, next;
      const date::year_month_day ymd{today};
      if (w.period == Period::day) {
        first = today;
        next = today + date::days{1};
        w.id = fmt::format("{:04}-{:02}-{:02}", int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()));
      } else {
        const auto ym = ymd.year() / ymd.month();
        first = date::local_days{ym / 1};
        next = date::local_days{(ym + date::months{1}) / 1};
        w.id = fmt::format("{:04}-{:02}", int(ymd.year()), unsigned(ymd.month()));
      }
      w.start = to_sys(first);
      w.end = to_sys(next);
      w.spent = w.reserved = 0;
      w.alerted = 0;
    }

    WallTime to_sys(date::local_days d) const {
      if (!zone) return WallTime{d.time_since_epoch()};
      // A midnight that daylight saving skips starts the day at the first instant after it.
      return WallTime{zone->to_sys(date::local_seconds{d.time_since_epoch()}, date::choose::earliest)};
    }

    /// The periods containing `now`, as a shared store is told them.
    std::array<SpendWindow, 2> windows_at(WallTime now) {
      std::lock_guard lk(m);
      std::array<SpendWindow, 2> out;
      for (std::size_t i = 0; i < 2; ++i) {
        roll(windows[i], now);
        out[i] = SpendWindow{windows[i].period, windows[i].id, windows[i].end, windows[i].limit};
      }
      return out;
    }

    /// Remembers what the store said was spent or held (`taken`: and just held) per period.
    void remember(const std::array<SpendWindow, 2>& w, const std::array<SpendTotals, 2>& t, std::int64_t taken) {
      std::lock_guard lk(m);
      for (std::size_t i = 0; i < 2; ++i) seen[i] = {w[i].id, detail::sat_add(detail::sat_add(t[i].spent, t[i].held), taken)};
    }

    /// The limit the local count is held to: the whole limit in memory; when shared (and the
    /// store is out of reach), 1/N of what the store last said was neither spent nor held in
    /// the period (holds counted as spent: the worst case), so the N processes together stay
    /// within it.
    std::optional<std::int64_t> local_limit(const Window& w) const {
      if (!w.limit || !shared) return w.limit;
      const std::int64_t before = seen[std::size_t(w.period)].first == w.id ? seen[std::size_t(w.period)].second : 0;
      return std::max<std::int64_t>(0, *w.limit - before) / std::max(1u, shared->replicas());
    }

    Error refusal(Period p, std::int64_t limit, std::int64_t spent, std::int64_t held, std::int64_t need,
                  Duration wait) const {
      return Error{Errc::budget_exhausted,
                   fmt::format("The {} budget ({}) can not cover this call: {} spent, {} held by "
                               "calls in flight, up to {} needed. It resets in {}.",
                               to_string(p), detail::dollars(detail::to_usd(limit)), detail::dollars(detail::to_usd(spent)),
                               detail::dollars(detail::to_usd(held)), detail::dollars(detail::to_usd(need)),
                               providers::humanize(wait)),
                   wait};
    }

    Error shared_refusal(const std::array<SpendWindow, 2>& w, const std::array<SpendTotals, 2>& t, std::int64_t need,
                         WallTime now) const {
      std::optional<std::size_t> worst;
      for (std::size_t i = 0; i < 2; ++i) {
        if (!w[i].limit || detail::sat_add(detail::sat_add(t[i].spent, t[i].held), need) <= *w[i].limit) continue;
        if (!worst || w[i].end > w[*worst].end) worst = i;
      }
      const std::size_t i = worst.value_or(0);
      return refusal(w[i].period, w[i].limit.value_or(0), t[i].spent, t[i].held, need, w[i].end - now);
    }

    BudgetAlert alert(Period p, double t, std::int64_t spent_nano, std::int64_t limit_nano) const {
      const double spent = detail::to_usd(spent_nano), limit = detail::to_usd(limit_nano);
      return BudgetAlert{p, t, spent, limit,
                         fmt::format("{:g} % of the {} budget ({}) is spent: {}.", t * 100, to_string(p),
                                     detail::dollars(limit), detail::dollars(spent))};
    }

    /// Adds `nano` to the local count. Alerts are raised here only for a budget in memory: a
    /// shared one's come from its store, once across every process (none while it is out of
    /// reach).
    std::vector<BudgetAlert> charge(std::int64_t nano, WallTime now) {
      std::vector<BudgetAlert> alerts;
      for (auto& w : windows) {
        roll(w, now);
        w.spent = detail::sat_add(w.spent, nano);
        if (!w.limit || shared) continue;
        for (std::size_t i = 0; i < config.alert_at.size() && i < 64; ++i) {
          const double t = config.alert_at[i];
          if (w.alerted & (std::uint64_t{1} << i)) continue;
          if (static_cast<double>(w.spent) < t * static_cast<double>(*w.limit)) continue;
          w.alerted |= std::uint64_t{1} << i;
          alerts.push_back(alert(w.period, t, w.spent, *w.limit));
        }
      }
      return alerts;
    }

    static std::string threshold_name(double t) { return fmt::format("{:g}", t); }

    /// Charges `nano` at `now`, after dropping the hold `hold` (shared; none: ""), in the store
    /// if there is one and it answers, else here.
    std::vector<BudgetAlert> settle_shared_or_local(std::string_view hold, const std::array<std::string, 2>& held_in,
                                                    std::int64_t held_nano, const std::array<std::int64_t, 2>& starts,
                                                    std::int64_t nano, WallTime now) {
      if (shared) {
        const auto w = windows_at(now);
        std::array<std::vector<SpendThreshold>, 2> thresholds;
        for (std::size_t i = 0; i < 2; ++i) {
          if (!w[i].limit) continue;
          for (double t : config.alert_at)
            thresholds[i].push_back(
                {threshold_name(t), static_cast<std::int64_t>(std::ceil(t * static_cast<double>(*w[i].limit)))});
        }
        auto crossed = shared->settle(hold, held_in, w, nano, thresholds, now);
        if (crossed) {
          std::vector<BudgetAlert> alerts;
          for (const auto& c : *crossed) {
            if (c.window > 1 || !w[c.window].limit) continue;
            for (double t : config.alert_at)
              if (threshold_name(t) == c.threshold) alerts.push_back(alert(w[c.window].period, t, c.spent, *w[c.window].limit));
          }
          return alerts;
        }
        // Out of reach: the spend is counted locally (the local share sees it); the hold in
        // the store expires.
        std::lock_guard lk(m);
        return charge(nano, now);
      }
      std::lock_guard lk(m);
      if (!hold.empty() || held_nano > 0) unhold(held_nano, starts);
      return charge(nano, now);
    }

    void unhold(std::int64_t nano, const std::array<std::int64_t, 2>& starts) noexcept {
      for (std::size_t i = 0; i < 2; ++i) {
        auto& w = windows[i];
        // A hold taken in a period that has since turned was dropped with that period.
        if (w.start.time_since_epoch().count() == starts[i]) w.reserved = std::max<std::int64_t>(0, w.reserved - nano);
      }
    }
  };

  SpendBudget(SpendBudgetConfig config, const date::time_zone* zone, std::shared_ptr<SharedSpend> shared)
      : impl_(std::make_unique<Impl>()) {
    impl_->zone = zone;
    impl_->shared = std::move(shared);
    impl_->windows[0].period = Period::day;
    impl_->windows[1].period = Period::month;
    if (config.daily_usd) impl_->windows[0].limit = detail::to_nano(*config.daily_usd);
    if (config.monthly_usd) impl_->windows[1].limit = detail::to_nano(*config.monthly_usd);
    impl_->config = std::move(config);
  }

  /// Spent and held per period at `now`: the store's, when shared and it answers; else the
  /// local count.
  std::array<SpendTotals, 2> totals(WallTime now) const {
    if (impl_->shared) {
      const auto w = impl_->windows_at(now);
      if (auto d = impl_->shared->reserve(w, std::nullopt, {}, now)) return d->totals;
    }
    std::lock_guard lk(impl_->m);
    std::array<SpendTotals, 2> out{};
    for (std::size_t i = 0; i < 2; ++i) {
      const auto& w = impl_->windows[i];
      if (now >= w.start && now < w.end) out[i] = {w.spent, w.reserved};
    }
    return out;
  }

  // On the heap so reservations keep a stable address when the budget is moved.
  std::unique_ptr<Impl> impl_;
};

inline SpendReservation& SpendReservation::operator=(SpendReservation&& o) noexcept {
  if (this != &o) {
    release();
    owner_ = std::exchange(o.owner_, nullptr);
    nano_ = o.nano_;
    period_start_ = o.period_start_;
    hold_ = std::move(o.hold_);
    held_in_ = std::move(o.held_in_);
  }
  return *this;
}

inline std::vector<BudgetAlert> SpendReservation::settle(double actual_usd, WallTime now) {
  if (!owner_) return {};
  auto* impl = static_cast<SpendBudget::Impl*>(std::exchange(owner_, nullptr));
  const std::int64_t nano = detail::to_nano(std::isfinite(actual_usd) ? std::max(0.0, actual_usd) : 0.0);
  if (!hold_.empty()) return impl->settle_shared_or_local(hold_, held_in_, nano_, period_start_, nano, now);
  std::lock_guard lk(impl->m);
  impl->unhold(nano_, period_start_);
  return impl->charge(nano, now);
}

inline void SpendReservation::release() noexcept {
  if (!owner_) return;
  auto* impl = static_cast<SpendBudget::Impl*>(std::exchange(owner_, nullptr));
  if (!hold_.empty()) return impl->shared->release(hold_, held_in_);
  std::lock_guard lk(impl->m);
  impl->unhold(nano_, period_start_);
}

}  // namespace governed
