#pragma once
/// @file
/// What a call cost, from the table's prices and the reply's usage, and the running totals a
/// budget reads: per model, per provider, per task, per UTC day and month.

#include <governed/providers/table.hpp>
#include <governed/providers/tokens.hpp>
#include <governed/providers/usage.hpp>
#include <governed/time.hpp>

#include <date/date.h>

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

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

/// Running totals. Thread-safe; a task is whatever the caller names (an agent run, a job).
class CostLedger {
 public:
  void record(std::string_view provider, std::string_view model, std::string_view task,
              const Cost& c, WallTime when) {
    const auto day = date::floor<date::days>(when);
    const date::year_month_day ymd{day};
    const int month = int(ymd.year()) * 12 + int(unsigned(ymd.month())) - 1;
    std::lock_guard lk(m_);
    by_model_[{std::string(provider), std::string(model)}] += c;
    by_provider_[std::string(provider)] += c;
    if (!task.empty()) by_task_[std::string(task)] += c;
    by_day_[day.time_since_epoch().count()] += c;
    by_month_[month] += c;
    total_ += c;
  }

  Cost model(std::string_view provider, std::string_view model) const {
    std::lock_guard lk(m_);
    auto it = by_model_.find(std::make_pair(std::string(provider), std::string(model)));
    return it == by_model_.end() ? Cost{} : it->second;
  }
  Cost provider(std::string_view provider) const { return get(by_provider_, std::string(provider)); }
  Cost task(std::string_view task) const { return get(by_task_, std::string(task)); }
  /// The UTC day containing `when`.
  Cost day(WallTime when) const {
    return get(by_day_, date::floor<date::days>(when).time_since_epoch().count());
  }
  /// The UTC calendar month containing `when`.
  Cost month(WallTime when) const {
    const date::year_month_day ymd{date::floor<date::days>(when)};
    return get(by_month_, int(ymd.year()) * 12 + int(unsigned(ymd.month())) - 1);
  }
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
  std::map<std::int64_t, Cost> by_day_;
  std::map<int, Cost> by_month_;
  Cost total_;
};

}  // namespace governed::providers
