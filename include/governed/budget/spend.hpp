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
/// ```cpp
/// auto budget = governed::SpendBudget::make({.daily_usd = 10.0});
/// auto hold = budget->reserve(price, estimate, clock.wall_now());   // worst case
/// if (!hold) return tl::unexpected(hold.error());                    // budget_exhausted
/// ... call ...
/// for (auto& alert : hold->settle(real_cost.total_cost, clock.wall_now())) notify(alert.message);
/// ```

#include <governed/detail/saturating.hpp>
#include <governed/providers/cost.hpp>
#include <governed/providers/messages.hpp>
#include <governed/result.hpp>
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

 private:
  friend class SpendBudget;
  inline void release() noexcept;

  void* owner_ = nullptr;  // SpendBudget::Impl
  std::int64_t nano_ = 0;
  std::array<std::int64_t, 2> period_start_{};  // which day and month the hold was taken in
};

/// Daily and monthly USD budgets. Thread-safe (one mutex, held for a few comparisons).
class SpendBudget {
 public:
  /// Validates the configuration: limits positive and finite, thresholds in (0, 1], a time
  /// zone the database knows.
  static Result<SpendBudget> make(SpendBudgetConfig config) {
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
    return SpendBudget(std::move(config), zone);
  }

  /// Holds `worst_case_usd` against every configured period. Refused with `budget_exhausted`
  /// (and `retry_after` = until the period that refused turns) when it does not fit.
  Result<SpendReservation> reserve(double worst_case_usd, WallTime now) {
    if (!(std::isfinite(worst_case_usd) && worst_case_usd >= 0))
      return fail(Errc::invalid_argument, "a call's worst-case cost must be a finite, non-negative amount");
    const std::int64_t need = detail::to_nano_up(worst_case_usd);
    std::lock_guard lk(impl_->m);
    std::optional<Error> refusal;
    for (auto& w : impl_->windows) {
      impl_->roll(w, now);
      if (!w.limit) continue;
      if (detail::sat_add(detail::sat_add(w.spent, w.reserved), need) > *w.limit) {
        const Duration wait = w.end - now;
        if (!refusal || wait > *refusal->retry_after) refusal = impl_->refusal(w, need, wait);
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
    std::lock_guard lk(impl_->m);
    return impl_->charge(detail::to_nano(std::max(0.0, std::isfinite(usd) ? usd : 0.0)), now);
  }

  /// Settled spend in the period containing `now`.
  double spent(Period p, WallTime now) const { return read(p, now, &Impl::Window::spent); }
  /// Held by calls in flight in the period containing `now`.
  double reserved(Period p, WallTime now) const { return read(p, now, &Impl::Window::reserved); }
  std::optional<double> limit(Period p) const {
    const auto& l = impl_->windows[std::size_t(p)].limit;
    return l ? std::optional<double>(detail::to_usd(*l)) : std::nullopt;
  }

  /// What a new call may still hold: the least headroom over the configured periods (no limit
  /// configured: infinity). The downgrade path picks the cheapest model whose worst case
  /// fits this.
  double remaining(WallTime now) const {
    double r = std::numeric_limits<double>::infinity();
    for (Period p : {Period::day, Period::month}) {
      if (auto l = limit(p)) r = std::min(r, std::max(0.0, *l - spent(p, now) - reserved(p, now)));
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

 private:
  friend class SpendReservation;

  struct Impl {
    struct Window {
      Period period;
      std::optional<std::int64_t> limit;
      WallTime start = WallTime::max();  // [start, end): the period the counters belong to
      WallTime end = WallTime::min();
      std::int64_t spent = 0;
      std::int64_t reserved = 0;
      std::uint64_t alerted = 0;  // bit i: threshold i reported this period
    };

    SpendBudgetConfig config;
    const date::time_zone* zone;  // nullptr: UTC
    std::mutex m;
    std::array<Window, 2> windows;

    /// Moves `w` to the period containing `now` when it has left its own, starting afresh.
    void roll(Window& w, WallTime now) const {
      if (now >= w.start && now < w.end) return;
      using namespace std::chrono;
      const auto secs = floor<seconds>(now);
      date::local_days today;
      if (zone) today = date::floor<date::days>(zone->to_local(secs));
      else today = date::local_days{date::floor<date::days>(secs).time_since_epoch()};
      date::local_days first, next;
      if (w.period == Period::day) {
        first = today;
        next = today + date::days{1};
      } else {
        const date::year_month_day ymd{today};
        const auto ym = ymd.year() / ymd.month();
        first = date::local_days{ym / 1};
        next = date::local_days{(ym + date::months{1}) / 1};
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

    Error refusal(const Window& w, std::int64_t need, Duration wait) const {
      return Error{Errc::budget_exhausted,
                   fmt::format("The {} budget ({}) can not cover this call: {} spent, {} held by "
                               "calls in flight, up to {} needed. It resets in {}.",
                               to_string(w.period), detail::dollars(detail::to_usd(*w.limit)),
                               detail::dollars(detail::to_usd(w.spent)),
                               detail::dollars(detail::to_usd(w.reserved)),
                               detail::dollars(detail::to_usd(need)), providers::humanize(wait)),
                   wait};
    }

    std::vector<BudgetAlert> charge(std::int64_t nano, WallTime now) {
      std::vector<BudgetAlert> alerts;
      for (auto& w : windows) {
        roll(w, now);
        w.spent = detail::sat_add(w.spent, nano);
        if (!w.limit) continue;
        for (std::size_t i = 0; i < config.alert_at.size() && i < 64; ++i) {
          const double t = config.alert_at[i];
          if (w.alerted & (std::uint64_t{1} << i)) continue;
          if (static_cast<double>(w.spent) < t * static_cast<double>(*w.limit)) continue;
          w.alerted |= std::uint64_t{1} << i;
          const double spent = detail::to_usd(w.spent), limit = detail::to_usd(*w.limit);
          alerts.push_back(BudgetAlert{
              w.period, t, spent, limit,
              fmt::format("{:g} % of the {} budget ({}) is spent: {}.", t * 100, to_string(w.period),
                          detail::dollars(limit), detail::dollars(spent))});
        }
      }
      return alerts;
    }

    void unhold(std::int64_t nano, const std::array<std::int64_t, 2>& starts) noexcept {
      for (std::size_t i = 0; i < 2; ++i) {
        auto& w = windows[i];
        // A hold taken in a period that has since turned was dropped with that period.
        if (w.start.time_since_epoch().count() == starts[i]) w.reserved = std::max<std::int64_t>(0, w.reserved - nano);
      }
    }
  };

  SpendBudget(SpendBudgetConfig config, const date::time_zone* zone) : impl_(std::make_unique<Impl>()) {
    impl_->zone = zone;
    impl_->windows[0].period = Period::day;
    impl_->windows[1].period = Period::month;
    if (config.daily_usd) impl_->windows[0].limit = detail::to_nano(*config.daily_usd);
    if (config.monthly_usd) impl_->windows[1].limit = detail::to_nano(*config.monthly_usd);
    impl_->config = std::move(config);
  }

  double read(Period p, WallTime now, std::int64_t Impl::Window::*field) const {
    std::lock_guard lk(impl_->m);
    auto w = impl_->windows[std::size_t(p)];
    if (!(now >= w.start && now < w.end)) return 0;
    return detail::to_usd(w.*field);
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
  }
  return *this;
}

inline std::vector<BudgetAlert> SpendReservation::settle(double actual_usd, WallTime now) {
  if (!owner_) return {};
  auto* impl = static_cast<SpendBudget::Impl*>(std::exchange(owner_, nullptr));
  std::lock_guard lk(impl->m);
  impl->unhold(nano_, period_start_);
  return impl->charge(detail::to_nano(std::isfinite(actual_usd) ? std::max(0.0, actual_usd) : 0.0), now);
}

inline void SpendReservation::release() noexcept {
  if (!owner_) return;
  auto* impl = static_cast<SpendBudget::Impl*>(std::exchange(owner_, nullptr));
  std::lock_guard lk(impl->m);
  impl->unhold(nano_, period_start_);
}

}  // namespace governed
