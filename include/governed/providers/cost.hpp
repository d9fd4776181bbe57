#pragma once
/// @file
/// What a call cost, from the table's prices and the reply's usage, and the running totals a
/// budget reads: per model, per provider, per task, per UTC day and month (`PeriodTotals`, which
/// the statistics also keep).

#include <governed/providers/table.hpp>
#include <governed/providers/tokens.hpp>
#include <governed/providers/usage.hpp>
#include <governed/time.hpp>

#include <date/date.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace governed::providers {

struct Cost {
  double input_cost = 0;
  double output_cost = 0;
  double total_cost = 0;
  std::string_view currency = "USD";

  Cost& operator+=(const Cost& o) noexcept {
    input_cost += o.input_cost;
    output_cost += o.output_cost;
    total_cost += o.total_cost;
    return *this;
  }
};

/// The cost of `u` at `price`. Cached prompt tokens are billed at the cached price when the
/// provider has one, cache writes at the write price (Anthropic: 1.25 × input), the rest at
/// the input price.
inline Cost cost_of(const Price& price, const Usage& u) noexcept {
  const std::int64_t fresh = std::max<std::int64_t>(0, u.input_tokens - u.cached_input_tokens - u.cache_write_tokens);
  Cost c;
  c.input_cost = (static_cast<double>(fresh) * price.input +
                  static_cast<double>(u.cached_input_tokens) * price.cached_input.value_or(price.input) +
                  static_cast<double>(u.cache_write_tokens) * price.cache_write.value_or(price.input)) / 1e6;
  c.output_cost = static_cast<double>(u.output_tokens) * price.output / 1e6;
  c.total_cost = c.input_cost + c.output_cost;
  return c;
}

/// The most a request can cost before it is sent: the estimated prompt and every reserved
/// completion token.
inline Cost estimated_cost(const Price& price, const TokenEstimate& e) noexcept {
  return cost_of(price, Usage{e.prompt, 0, 0, e.completion, 0});
}

/// Running totals per UTC day and per UTC calendar month, of the last `retained_days` days and
/// `retained_months` months; older periods are forgotten.
///
/// Each period lives in a fixed slot (its number modulo the slot count), so the totals take a
/// fixed amount of memory however long the process runs, adding never allocates, and the slot
/// of a new day is simply taken over from the day 64 days before it: a day falls out once a
/// later day needs its slot. 64 days cover the previous calendar month whole on any date
/// (reports compare a day with the same day a month before), 25 months the previous year.
/// An amount dated before what its day's slot still holds is too old for that day and counts
/// only for its month, if the month is still held.
///
/// `Amount` is what is summed: `Cost` for a ledger, integer nano-dollars for the statistics
/// (exact sums). Thread-safe. An integer amount is added with one relaxed atomic add, since
/// every governed call counts its cost here; only turning a slot over to a new period takes
/// the mutex. Other amounts are added under the mutex, held for a few operations.
template <class Amount>
class PeriodTotals {
  static constexpr bool lock_free = std::is_integral_v<Amount>;

 public:
  static constexpr std::size_t retained_days = 64;
  static constexpr std::size_t retained_months = 25;

  /// The UTC day containing `when`, as days since 1970-01-01.
  static std::int64_t day_number(WallTime when) noexcept {
    return date::floor<date::days>(when).time_since_epoch().count();
  }
  /// The UTC calendar month containing `when`, as months since year 0.
  static std::int64_t month_number(WallTime when) noexcept { return month_of_day(day_number(when)); }

  /// Adds `a` to the day and the month containing `when`.
  void add(const Amount& a, WallTime when) noexcept {
    const std::int64_t d = day_number(when), m = month_of(d);
    if constexpr (lock_free) {
      add_to(days_, d, a);
      add_to(months_, m, a);
    } else {
      std::lock_guard lk(m_);
      add_to(days_, d, a);
      add_to(months_, m, a);
    }
  }

  /// The total of the UTC day containing `when`; zero when nothing was added that day or the
  /// day is no longer retained.
  Amount day(WallTime when) const noexcept { return read(days_, day_number(when)); }
  /// The total of the UTC calendar month containing `when`.
  Amount month(WallTime when) const noexcept { return read(months_, month_number(when)); }

 private:
  static constexpr std::int64_t none = std::numeric_limits<std::int64_t>::min();

  struct LockedSlot {
    std::int64_t period = none;
    Amount amount{};
  };
  /// `period` is stored after `amount` is reset (release) and loaded before `amount` is read or
  /// added to (acquire): whoever sees a slot's new period sees its total start from zero.
  struct AtomicSlot {
    std::atomic<std::int64_t> period{none};
    std::atomic<Amount> amount{0};
  };
  using Slot = std::conditional_t<lock_free, AtomicSlot, LockedSlot>;

  static std::int64_t month_of_day(std::int64_t day) noexcept {
    const date::year_month_day ymd{date::sys_days{date::days{day}}};
    return std::int64_t{int(ymd.year())} * 12 + unsigned(ymd.month()) - 1;
  }

  /// The month of `day`, remembered for the last day asked: the calls of one day all ask for
  /// the same. One word (the day in the high half, the month in the low), so a reader never
  /// pairs one day with another day's month; days beyond ±2^31 are worked out each time.
  std::int64_t month_of(std::int64_t day) const noexcept {
    if (day < std::numeric_limits<std::int32_t>::min() || day > std::numeric_limits<std::int32_t>::max())
      return month_of_day(day);
    const auto day_bits = static_cast<std::uint64_t>(static_cast<std::uint32_t>(day)) << 32;
    // Relaxed: the word carries no other memory; a stale word is another day's and is redone.
    const std::uint64_t cached = month_cache_.load(std::memory_order_relaxed);
    if (cached != no_month && (cached & ~std::uint64_t{0xffffffff}) == day_bits)
      return static_cast<std::int32_t>(static_cast<std::uint32_t>(cached));
    const std::int64_t m = month_of_day(day);
    month_cache_.store(day_bits | static_cast<std::uint32_t>(static_cast<std::int32_t>(m)), std::memory_order_relaxed);
    return m;
  }
  static constexpr std::uint64_t no_month = ~std::uint64_t{0};

  /// The slot of `period` in `slots` (const or not).
  template <class Slots>
  static auto& slot_of(Slots& slots, std::int64_t period) noexcept {
    constexpr auto n = static_cast<std::int64_t>(std::tuple_size_v<std::remove_const_t<Slots>>);
    const std::int64_t r = period % n;
    return slots[static_cast<std::size_t>(r < 0 ? r + n : r)];
  }

  /// Adds `a` to `period`'s slot, taking the slot over when it holds an older period. An
  /// amount older than what the slot holds is no longer retained there.
  template <class Slots>
  void add_to(Slots& slots, std::int64_t period, const Amount& a) noexcept {
    Slot& s = slot_of(slots, period);
    if constexpr (lock_free) {
      if (const std::int64_t held = s.period.load(std::memory_order_acquire); held != period) {
        if (held > period) return;
        std::lock_guard lk(m_);
        const std::int64_t now_held = s.period.load(std::memory_order_relaxed);
        if (now_held > period) return;
        if (now_held < period) {
          s.amount.store(0, std::memory_order_relaxed);
          s.period.store(period, std::memory_order_release);
        }
      }
      // A thread that found the slot on `period` just as another took it over for a period
      // 64 days (or 25 months) later would count there: two calls recorded that far apart at
      // the same moment, which no clock produces.
      s.amount.fetch_add(a, std::memory_order_relaxed);
    } else {
      if (s.period > period) return;
      if (s.period < period) s = LockedSlot{period, Amount{}};
      s.amount += a;
    }
  }

  template <class Slots>
  Amount read(const Slots& slots, std::int64_t period) const noexcept {
    const Slot& s = slot_of(slots, period);
    if constexpr (lock_free) {
      return s.period.load(std::memory_order_acquire) == period ? s.amount.load(std::memory_order_relaxed) : Amount{};
    } else {
      std::lock_guard lk(m_);
      return s.period == period ? s.amount : Amount{};
    }
  }

  mutable std::mutex m_;
  mutable std::atomic<std::uint64_t> month_cache_{no_month};
  std::array<Slot, retained_days> days_{};
  std::array<Slot, retained_months> months_{};
};

/// Running totals. Thread-safe; a task is whatever the caller names (an agent run, a job).
/// Days and months are kept as `PeriodTotals` keeps them: the last 64 days and 25 months.
class CostLedger {
 public:
  void record(std::string_view provider, std::string_view model, std::string_view task,
              const Cost& c, WallTime when) {
    {
      std::lock_guard lk(m_);
      by_model_[{std::string(provider), std::string(model)}] += c;
      by_provider_[std::string(provider)] += c;
      if (!task.empty()) by_task_[std::string(task)] += c;
      total_ += c;
    }
    periods_.add(c, when);
  }

  Cost model(std::string_view provider, std::string_view model) const {
    std::lock_guard lk(m_);
    auto it = by_model_.find(std::make_pair(std::string(provider), std::string(model)));
    return it == by_model_.end() ? Cost{} : it->second;
  }
  Cost provider(std::string_view provider) const { return get(by_provider_, std::string(provider)); }
  Cost task(std::string_view task) const { return get(by_task_, std::string(task)); }
  /// The UTC day containing `when`.
  Cost day(WallTime when) const { return periods_.day(when); }
  /// The UTC calendar month containing `when`.
  Cost month(WallTime when) const { return periods_.month(when); }
  Cost total() const {
    std::lock_guard lk(m_);
    return total_;
  }

 private:
  template <class M, class K>
  Cost get(const M& map, const K& key) const {
    std::lock_guard lk(m_);
    auto it = map.find(key);
    return it == map.end() ? Cost{} : it->second;
  }

  mutable std::mutex m_;
  std::map<std::pair<std::string, std::string>, Cost> by_model_;
  std::map<std::string, Cost, std::less<>> by_provider_, by_task_;
  Cost total_;
  PeriodTotals<Cost> periods_;
};

}  // namespace governed::providers
