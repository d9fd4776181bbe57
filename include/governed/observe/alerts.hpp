#pragma once
/// @file
/// `Alerts`: three signs that something is wrong beyond any one call or budget, each raised
/// once as an event a person reads.
///
///   alert_rate_limits  more than 5 replies with 429 within a minute on one target (provider,
///                      model): the limits configured for it are too high, or another client
///                      shares its account.
///   alert_error_rate   more than 20 % of the calls of the last 5 minutes failed, once at
///                      least 20 calls were made in them (one failure of two calls is no
///                      trend).
///   alert_spend_spike  the current hour's spend is above 3 × the hourly mean of the 24 hours
///                      before it, and above $1.00 (so $0.0001 against a mean of $0 is not a
///                      spike). Silent until the detector has watched a full day: spend
///                      follows the day, and before a day of history the morning peak would be
///                      compared with the night.
///
/// Once, not per call: an alert fires when its condition becomes true, and fires again only
/// after the condition has been seen false. 429s at 8 a minute for an hour are one alert. The
/// rate-limit and error-rate conditions are false again as soon as a check finds them so; a
/// spend spike that goes on into the next hour is the same spike, so it re-arms after a
/// whole hour without one.
///
/// ```cpp
/// auto alerts = governed::Alerts::make({}, clock.now());           // Result<Alerts>
/// if (auto a = alerts->rate_limited("openai", "gpt-4o", clock.now()))
///   observers.emit(governed::Event::make(a->kind, a->provider, a->model, task, a->message,
///                                        clock.wall_now(), keys));
/// // "OPENAI (gpt-4o) answered 6 calls with 429 in the last minute (alert above 5)."
/// ```
///
/// Cost: `call_ended` of a success is one compare-and-swap on a time bucket; `spent` is one
/// compare-and-swap and two loads while it stays under the hour's alert level. Neither
/// allocates or locks. A failed call also sums 30 buckets under a mutex it only tries to take;
/// `rate_limited` (a 429, already the slow path) takes a mutex.

#include <governed/observe/event.hpp>
#include <governed/providers/messages.hpp>
#include <governed/providers/redact.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed {

/// More 429s than `above` within `window` on one target.
struct RateLimitAlertConfig {
  bool enabled = true;
  std::uint32_t above = 5;  ///< in [0, 1000]: the alert fires at the (above + 1)th 429
  Duration window = std::chrono::minutes{1};
};

/// A share of failed calls above `above` over `window`, once `min_calls` calls were made in it.
struct ErrorRateAlertConfig {
  bool enabled = true;
  double above = 0.20;  ///< in [0, 1)
  /// In [30 s, 24 h]. Counted in 30 buckets of window / 30: the window is the current bucket
  /// and the 29 before it, so with 5 minutes, between 4 min 50 s and 5 minutes.
  Duration window = std::chrono::minutes{5};
  std::uint32_t min_calls = 20;  ///< in [1, 1000000]
};

/// The current hour's spend above `factor` × the hourly mean of the 24 hours before it, and
/// above `min_usd`.
struct SpendSpikeAlertConfig {
  bool enabled = true;
  double factor = 3.0;   ///< in (0, 1000]
  double min_usd = 1.0;  ///< in [0, 100000]
};

/// The settings of the three alerts; each has its own `enabled`.
struct AlertConfig {
  RateLimitAlertConfig rate_limits{};
  ErrorRateAlertConfig error_rate{};
  SpendSpikeAlertConfig spend_spike{};

  Result<void> validate() const {
    const auto bad = [](std::string what) { return fail(Errc::invalid_argument, "alerts: " + std::move(what)); };
    const auto ms = [](Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
    if (rate_limits.above > 1000)
      return bad(fmt::format("rate_limits.above must be at most 1000 429s, not {}", rate_limits.above));
    if (rate_limits.window <= Duration::zero() || rate_limits.window > std::chrono::hours{24})
      return bad(fmt::format("rate_limits.window must be longer than 0 and at most 24 hours, not {} ms",
                             ms(rate_limits.window)));
    if (!(error_rate.above >= 0 && error_rate.above < 1))
      return bad(fmt::format("error_rate.above must be a share in [0, 1) (0.2 is 20 %), not {}", error_rate.above));
    if (error_rate.window < std::chrono::seconds{30} || error_rate.window > std::chrono::hours{24})
      return bad(fmt::format("error_rate.window must be between 30 seconds and 24 hours, not {} ms",
                             ms(error_rate.window)));
    if (error_rate.min_calls < 1 || error_rate.min_calls > 1'000'000)
      return bad(fmt::format("error_rate.min_calls must be between 1 and 1000000, not {}", error_rate.min_calls));
    if (!(spend_spike.factor > 0 && spend_spike.factor <= 1000))
      return bad(fmt::format("spend_spike.factor must be above 0 and at most 1000, not {}", spend_spike.factor));
    if (!(spend_spike.min_usd >= 0 && spend_spike.min_usd <= 100'000))
      return bad(fmt::format("spend_spike.min_usd must be between 0 and 100000, not {}", spend_spike.min_usd));
    return {};
  }
};

/// An alert raised: the event the walk emits, with the figures behind it.
struct Alert {
  EventKind kind;        ///< alert_rate_limits, alert_error_rate or alert_spend_spike
  std::string message;   ///< for people
  std::string provider;  ///< rate limits: the target; empty for the others
  std::string model;
  double value;      ///< 429s in the window; the share failed; USD spent this hour
  double threshold;  ///< what `value` went above
};

namespace detail::alerts {

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

constexpr std::size_t slot_of(std::int64_t index, std::size_t slots) noexcept {
  const auto n = static_cast<std::int64_t>(slots);
  return static_cast<std::size_t>(((index % n) + n) % n);
}

/// "the last minute", "the last 5 minutes", "the last hour".
inline std::string the_last(Duration d) {
  std::string s = providers::humanize(d);
  if (s.starts_with("1 ")) s.erase(0, 2);
  return "the last " + s;
}

/// "$12.60", or "$0.0042" below a cent.
inline std::string usd(double v) {
  return std::abs(v) >= 0.01 || v == 0 ? fmt::format("${:.2f}", v) : fmt::format("${:.4f}", v);
}

/// A time bucket in one 64-bit word, so it is counted and turned over by one compare-and-swap:
/// the top `TagBits` hold the bucket's index (mod 2^TagBits), the rest its counts. A bucket
/// whose tag is not the index a reader expects is an old one, read as empty.
template <unsigned TagBits>
struct TaggedWord {
  static constexpr unsigned value_bits = 64 - TagBits;
  static constexpr std::uint64_t tag_mask = (std::uint64_t{1} << TagBits) - 1;

  static constexpr std::uint64_t tag(std::int64_t index) noexcept { return static_cast<std::uint64_t>(index) & tag_mask; }
  static constexpr std::uint64_t tag_of(std::uint64_t word) noexcept { return word >> value_bits; }
  static constexpr std::uint64_t value_of(std::uint64_t word) noexcept { return word & ~(tag_mask << value_bits); }
  static constexpr std::uint64_t make(std::int64_t index, std::uint64_t value) noexcept {
    return (tag(index) << value_bits) | value;
  }
  /// Whether a word tagged `have` is newer than bucket `index`: then `index` is too old to
  /// count, and must not turn the bucket back.
  static constexpr bool newer(std::uint64_t have, std::int64_t index) noexcept {
    const std::uint64_t ahead = (have - tag(index)) & tag_mask;
    return ahead != 0 && ahead < (tag_mask >> 1);
  }

  /// Adds to bucket `index` in `w` with `add(value) -> std::optional<value>` (nothing: leave
  /// it), turning an older bucket over first. Returns the bucket's value after, or nothing
  /// when `index` is older than what the slot holds.
  template <class Add>
  static std::optional<std::uint64_t> update(std::atomic<std::uint64_t>& w, std::int64_t index, Add add) noexcept {
    std::uint64_t old = w.load(std::memory_order_relaxed);
    for (;;) {
      if (tag_of(old) != tag(index) && newer(tag_of(old), index)) return std::nullopt;
      const std::uint64_t base = tag_of(old) == tag(index) ? value_of(old) : 0;
      const std::optional<std::uint64_t> next = add(base);
      if (!next) return base;
      // Relaxed: each bucket is its own counter; readers sum whatever they find, and no other
      // memory is published through it.
      if (w.compare_exchange_weak(old, make(index, *next), std::memory_order_relaxed)) return *next;
    }
  }

  /// The value of bucket `index` in `w`, 0 when the slot holds another bucket.
  static std::uint64_t read(const std::atomic<std::uint64_t>& w, std::int64_t index) noexcept {
    const std::uint64_t word = w.load(std::memory_order_relaxed);
    return tag_of(word) == tag(index) ? value_of(word) : 0;
  }
};

}  // namespace detail::alerts

/// More 429s than the threshold within the window on one target (provider, model).
class RateLimitAlerts {
 public:
  explicit RateLimitAlerts(RateLimitAlertConfig config) : config_(config) {}

  /// A 429 from `provider`'s `model` at `t`.
  std::optional<Alert> rate_limited(std::string_view provider, std::string_view model, Instant t) {
    if (!config_.enabled) return std::nullopt;
    std::lock_guard lk(m_);
    Target& target = find_or_add(provider, model, t);
    target.newest = std::max(target.newest, t);
    // The last above + 1 instants are enough to know whether more than `above` lie within the
    // window of t.
    if (target.ring.size() <= config_.above) {
      target.ring.push_back(t);
    } else {
      target.ring[target.next] = t;
      target.next = (target.next + 1) % target.ring.size();
    }
    const auto in_window = static_cast<std::uint32_t>(
        std::count_if(target.ring.begin(), target.ring.end(), [&](Instant x) { return t - x <= config_.window; }));
    if (in_window <= config_.above) {
      target.fired = false;
      return std::nullopt;
    }
    if (std::exchange(target.fired, true)) return std::nullopt;
    return Alert{EventKind::alert_rate_limits,
                 providers::redact(fmt::format("{} answered {} calls with 429 in {} (alert above {}).",
                                               providers::detail::target(provider, model), in_window,
                                               detail::alerts::the_last(config_.window), config_.above)),
                 std::string(provider), std::string(model), double(in_window), double(config_.above)};
  }

 private:
  // Targets followed at once. Model names come from the provider table, so a process sees a
  // few dozen; the bound keeps a stream of made-up names from growing the table.
  static constexpr std::size_t max_targets = 256;

  struct Target {
    std::string provider;
    std::string model;
    std::vector<Instant> ring;
    std::size_t next = 0;
    Instant newest{};
    bool fired = false;
  };

  Target& find_or_add(std::string_view provider, std::string_view model, Instant t) {
    for (auto& x : targets_)
      if (x.provider == provider && x.model == model) return x;
    // A target with no 429 within the window is as good as new: nothing counted, armed.
    std::erase_if(targets_, [&](const Target& x) { return t - x.newest > config_.window; });
    if (targets_.size() >= max_targets)
      targets_.erase(std::min_element(targets_.begin(), targets_.end(),
                                      [](const Target& a, const Target& b) { return a.newest < b.newest; }));
    Target& x = targets_.emplace_back(Target{std::string(provider), std::string(model), {}, 0, t, false});
    x.ring.reserve(std::size_t{config_.above} + 1);
    return x;
  }

  RateLimitAlertConfig config_;
  std::mutex m_;
  std::vector<Target> targets_;
};

/// A share of failed calls above the threshold over the window.
class ErrorRateAlerts {
 public:
  static constexpr std::size_t buckets = 30;

  explicit ErrorRateAlerts(ErrorRateAlertConfig config)
      : config_(config), width_ns_(std::max<std::int64_t>(1, config.window.count() / std::int64_t{buckets})) {}

  /// A call ended at `t`, failed or not.
  std::optional<Alert> call_ended(bool failed, Instant t) {
    if (!config_.enabled) return std::nullopt;
    const std::int64_t index = bucket_of(t);
    count(index, failed);
    // A success only lowers the share; the next failure's check sees it (and the call that
    // brought the window to `min_calls`).
    if (!failed) return std::nullopt;
    // In an outage every call fails at once; one of them checking is enough. A failure that
    // skips its check is counted, and the next check includes it.
    std::unique_lock lk(check_, std::try_to_lock);
    if (!lk.owns_lock()) return std::nullopt;
    return check(index);
  }

 private:
  // A bucket: [tag 24 bits][calls 20 bits][failures 20 bits]. A million calls a bucket is far
  // above any client's rate; beyond it a bucket stops counting and the share stays as counted.
  using Word = detail::alerts::TaggedWord<24>;
  static constexpr unsigned count_bits = 20;
  static constexpr std::uint64_t count_max = (std::uint64_t{1} << count_bits) - 1;

  /// The bucket of `t`. The calls of a bucket all fall in the one the last call found, so it
  /// is remembered and checked with a multiplication instead of a division each call.
  std::int64_t bucket_of(Instant t) noexcept {
    const std::int64_t ns = t.time_since_epoch().count();
    // Relaxed: the word is only a hint, checked before use; no other memory comes with it.
    const std::int64_t last = last_bucket_.load(std::memory_order_relaxed);
    // Both non-negative: last · width is at most an earlier ns, so nothing overflows.
    if (ns >= 0 && last >= 0 && ns - last * width_ns_ < width_ns_ && ns >= last * width_ns_) return last;
    const std::int64_t index = detail::alerts::floor_div(ns, width_ns_);
    last_bucket_.store(index, std::memory_order_relaxed);
    return index;
  }

  void count(std::int64_t index, bool failed) noexcept {
    Word::update(words_[detail::alerts::slot_of(index, buckets)], index,
                 [failed](std::uint64_t v) -> std::optional<std::uint64_t> {
                   if ((v >> count_bits) == count_max) return std::nullopt;
                   return v + (std::uint64_t{1} << count_bits) + (failed ? 1 : 0);
                 });
  }

  // Under check_.
  std::optional<Alert> check(std::int64_t index) {
    std::uint64_t calls = 0, failures = 0;
    for (std::size_t k = 0; k < buckets; ++k) {
      const std::int64_t i = index - static_cast<std::int64_t>(k);
      const std::uint64_t v = Word::read(words_[detail::alerts::slot_of(i, buckets)], i);
      calls += v >> count_bits;
      failures += v & count_max;
    }
    const double share = calls == 0 ? 0.0 : double(failures) / double(calls);
    if (calls < config_.min_calls || share <= config_.above) {
      fired_ = false;
      return std::nullopt;
    }
    if (std::exchange(fired_, true)) return std::nullopt;
    return Alert{EventKind::alert_error_rate,
                 fmt::format("{} of {} calls ({:.0f} %) failed in {} (alert above {:.0f} %).", failures, calls,
                             share * 100, detail::alerts::the_last(config_.window), config_.above * 100),
                 {}, {}, share, config_.above};
  }

  ErrorRateAlertConfig config_;
  std::int64_t width_ns_;
  std::atomic<std::int64_t> last_bucket_{0};
  std::array<std::atomic<std::uint64_t>, buckets> words_{};
  std::mutex check_;
  bool fired_ = false;  // under check_
};

/// The current hour's spend above the factor times the mean of the 24 hours before it.
class SpendSpikeAlerts {
 public:
  static constexpr std::int64_t trailing_hours = 24;

  /// Watches from `start`: the first alert can come once 24 whole hours lie behind it.
  SpendSpikeAlerts(SpendSpikeAlertConfig config, Instant start)
      : config_(config),
        // The first whole hour watched: a partly watched hour would lower the mean.
        first_hour_(detail::alerts::floor_div(start.time_since_epoch().count() + hour_ns - 1, hour_ns)) {}

  /// `usd` spent at `t` (a call's cost). Nothing, negative or not a number: no spend.
  std::optional<Alert> spent(double usd, Instant t) {
    if (!config_.enabled || !(usd > 0)) return std::nullopt;
    const std::int64_t hour = detail::alerts::floor_div(t.time_since_epoch().count(), hour_ns);
    const std::uint64_t add = to_nano(usd);
    const std::optional<std::uint64_t> this_hour =
        Word::update(words_[detail::alerts::slot_of(hour, slots)], hour, [add](std::uint64_t v) {
          return std::optional<std::uint64_t>(std::min(v + add, nano_max));  // both < 2^48: no wrap
        });
    if (!this_hour) return std::nullopt;  // spend of an hour long gone
    const std::uint64_t level = level_of(hour);
    if (*this_hour <= level) return std::nullopt;
    return spike(hour, *this_hour, level);
  }

 private:
  // A bucket: [hour tag 16 bits][nano-dollars 48 bits]; 2^48 nano-dollars is $281,474 an
  // hour, where a bucket stops growing. 25 hours: the 24 before the current one, and it.
  using Word = detail::alerts::TaggedWord<16>;
  static constexpr std::size_t slots = trailing_hours + 1;
  static constexpr std::int64_t hour_ns = std::chrono::nanoseconds{std::chrono::hours{1}}.count();
  static constexpr std::uint64_t nano_max = (std::uint64_t{1} << Word::value_bits) - 1;
  static constexpr double nano_per_usd = 1e9;

  /// `usd` (> 0) in whole nano-dollars, rounded to nearest (adding a half and truncating: no
  /// call into the maths library on the call path).
  static std::uint64_t to_nano(double usd) noexcept {
    const double n = usd * nano_per_usd + 0.5;
    return n >= double(nano_max) ? nano_max : static_cast<std::uint64_t>(n);
  }

  // The alert level of `hour`, in nano-dollars: computed once an hour (the hours before it no
  // longer change) and kept in one word tagged with its hour, so a reader never pairs one
  // hour's level with another hour. nano_max: no alert (less than a day watched).
  std::uint64_t level_of(std::int64_t hour) noexcept {
    const std::uint64_t cached = level_.load(std::memory_order_relaxed);
    if (Word::tag_of(cached) == Word::tag(hour) && cached != 0) return Word::value_of(cached);
    std::uint64_t level = nano_max;
    if (hour - trailing_hours >= first_hour_) {
      const double mean = trailing_mean(hour);
      level = std::min<std::uint64_t>(nano_max, to_nano(std::max(config_.factor * mean / nano_per_usd, config_.min_usd)));
    }
    // Racing threads compute the same level from the same hours.
    level_.store(Word::make(hour, level), std::memory_order_relaxed);
    return level;
  }

  // The mean spend of the 24 hours before `hour`, in nano-dollars.
  double trailing_mean(std::int64_t hour) const noexcept {
    std::uint64_t sum = 0;
    for (std::int64_t h = hour - trailing_hours; h < hour; ++h)
      sum += Word::read(words_[detail::alerts::slot_of(h, slots)], h);
    return double(sum) / double(trailing_hours);
  }

  // This hour's spend went above its level: an alert unless this spike was already told — in
  // this hour, or in the hour before (a spike that goes on).
  std::optional<Alert> spike(std::int64_t hour, std::uint64_t spent_nano, std::uint64_t level_nano) {
    std::int64_t last = last_spike_hour_.load(std::memory_order_relaxed);
    do {
      if (last >= hour) return std::nullopt;
    } while (!last_spike_hour_.compare_exchange_weak(last, hour, std::memory_order_relaxed));
    if (last == hour - 1) return std::nullopt;
    const double spent = double(spent_nano) / nano_per_usd;
    const double level = double(level_nano) / nano_per_usd;
    return Alert{EventKind::alert_spend_spike,
                 fmt::format("Spent {} in the current hour, against an hourly mean of {} over the 24 hours "
                             "before (alert above {}: {:g} \u00d7 the mean, and at least {}).",
                             detail::alerts::usd(spent), detail::alerts::usd(trailing_mean(hour) / nano_per_usd),
                             detail::alerts::usd(level), config_.factor, detail::alerts::usd(config_.min_usd)),
                 {}, {}, spent, level};
  }

  SpendSpikeAlertConfig config_;
  std::int64_t first_hour_;
  std::array<std::atomic<std::uint64_t>, slots> words_{};
  std::atomic<std::uint64_t> level_{0};  // 0: none computed yet
  std::atomic<std::int64_t> last_spike_hour_{std::numeric_limits<std::int64_t>::min()};
};

/// The three alerts of a State, fed by the call path. Thread safe. A moved-from `Alerts` may
/// only be assigned to or destroyed.
class Alerts {
 public:
  /// Alerts watching from `start` (the State's clock now).
  static Result<Alerts> make(AlertConfig config, Instant start) {
    if (auto r = config.validate(); !r) return tl::unexpected(r.error());
    return Alerts(config, start);
  }

  const AlertConfig& config() const noexcept { return config_; }

  /// A reply with 429 from `provider`'s `model` at `t`.
  std::optional<Alert> rate_limited(std::string_view provider, std::string_view model, Instant t) {
    return parts_->rate_limits.rate_limited(provider, model, t);
  }
  /// A call ended at `t` (once per call, after its last attempt).
  std::optional<Alert> call_ended(bool failed, Instant t) { return parts_->error_rate.call_ended(failed, t); }
  /// A call's cost, once it is known.
  std::optional<Alert> spent(double usd, Instant t) { return parts_->spend_spike.spent(usd, t); }

 private:
  struct Parts {
    Parts(const AlertConfig& c, Instant start)
        : rate_limits(c.rate_limits), error_rate(c.error_rate), spend_spike(c.spend_spike, start) {}
    RateLimitAlerts rate_limits;
    ErrorRateAlerts error_rate;
    SpendSpikeAlerts spend_spike;
  };

  Alerts(AlertConfig config, Instant start) : config_(config), parts_(std::make_unique<Parts>(config_, start)) {}

  AlertConfig config_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace governed
