#pragma once
/// @file
/// `ProviderBreakers`: one circuit breaker per provider, so a provider that is down is skipped
/// by every call instead of being retried by each of them.
///
/// A model that fails is cooled on its own (cooldowns.hpp). A provider whose servers are down
/// fails on every model at once, and each call would still spend its retries on each model
/// before falling back. The breaker watches the provider as a whole:
///
///   closed     every call goes. `failures` network or 5xx failures (network_error,
///              server_error, overloaded) on any of its models within `window`, with no
///              success between them, open it.
///   open       every call skips the provider until the cool-off (`cool_off`) has passed.
///   half-open  after the cool-off, ONE trial call goes; every other call still skips it.
///              The trial's success closes the breaker; its failure opens it for another
///              full cool-off.
///
/// With the defaults (3 failures in 60 s, 30 s cool-off): failures at 0 s, 20 s and 59 s open
/// the breaker at 59 s; calls skip the provider until 89 s; the first call at or after 89 s is
/// the trial; if it fails at 95 s, calls skip the provider until 125 s.
///
/// A success clears the failures counted so far. The window counts failures of a provider
/// that is down, not failures of a provider that is busy: at 500 calls a minute, three
/// scattered 502s are 0.6 % of the traffic, and opening on them would turn a healthy provider
/// away for half a minute (resilience4j, whose time-based window counts calls, says the same
/// of "N errors a minute whatever the successes", resilience4j/resilience4j#785). Failures
/// with no success between them are what an outage looks like; this is Polly's
/// consecutive-failures breaker, with the extra rule that the failures lie within `window`.
///
/// A trial that ends without a verdict — the call was cancelled, or the walk moved on before
/// sending — is given back with `abandon`, and the next call becomes the trial. A trial that
/// is never reported at all (its caller vanished) is treated as abandoned once one cool-off
/// has passed since it began: the next call then becomes the trial, so the breaker can not
/// stay half-open with no trial running. Abandoned, not failed: a missing report says nothing
/// about the provider, and counting it as a failure would keep a healthy provider out for
/// another cool-off because a caller went away. Only the newest trial decides: the report of
/// a trial that was replaced is ignored.
///
/// Passes: the walk asks `enter` before every attempt (each send, retries included), and ends
/// every allowed pass with exactly one report:
///
/// ```cpp
/// auto pass = breakers.enter(provider_index, clock.now());   // Result<BreakerPass>
/// if (!pass) return tl::unexpected(pass.error());            // an index outside the table
/// if (!pass->allowed()) { /* skip the provider until pass->open_until() */ }
/// ... send ...
/// std::optional<BreakerTransition> change =
///     kind == Kind::success          ? breakers.success(*pass, clock.now())
///     : counts_against_breaker(kind) ? breakers.failure(*pass, clock.now())
///                                    : (breakers.abandon(*pass), std::nullopt);
/// if (change) observers.emit_lazy([&] { return Event::of(change->kind, provider_name, {}, task,
///                                                        change->wait, clock.wall_now(), keys); });
/// ```
///
/// Cost: `enter` on a closed breaker is one relaxed atomic load; `success` on a closed breaker
/// with no failures counted is two. Failures, and everything while the breaker is open, take
/// the provider's own mutex, held for a few comparisons and never across a wait.

#include <governed/saturating.hpp>
#include <governed/observe/event.hpp>
#include <governed/providers/kind.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace governed {

/// The most failures a breaker may wait for: each is an instant kept per provider.
inline constexpr std::uint32_t max_breaker_failures = 1000;

/// The longest window or cool-off: a provider out for longer than a day is a configuration
/// matter, not a breaker's.
inline constexpr Duration max_breaker_span = std::chrono::hours{24};

/// The settings of every provider's breaker.
struct BreakerConfig {
  /// Network or 5xx failures, with no success between them, that open the breaker.
  std::uint32_t failures = 3;
  /// The span those failures must lie within: newest − oldest ≤ window.
  Duration window = std::chrono::seconds{60};
  /// How long an open breaker makes every call skip the provider before one trial call.
  Duration cool_off = std::chrono::seconds{30};
  /// false: the breaker never opens (reports are ignored).
  bool enabled = true;

  /// `failures` in [1, 1000]; `window` and `cool_off` in (0, 24 h].
  Result<void> validate() const {
    if (failures < 1 || failures > max_breaker_failures)
      return fail(Errc::invalid_argument,
                  fmt::format("breaker: failures must be between 1 and {}, not {}", max_breaker_failures, failures));
    const auto check_span = [](std::string_view name, Duration d) -> Result<void> {
      if (d <= Duration::zero() || d > max_breaker_span)
        return fail(Errc::invalid_argument,
                    fmt::format("breaker: {} must be longer than 0 and at most 24 hours, not {} ms", name,
                                std::chrono::duration_cast<std::chrono::milliseconds>(d).count()));
      return {};
    };
    if (auto r = check_span("window", window); !r) return r;
    return check_span("cool_off", cool_off);
  }
};

/// The verdicts that count against a provider's breaker: its service could not be reached
/// (network_error) or failed to answer (server_error, overloaded). Every other verdict comes
/// from a provider that is up — a 429, a refused key, a refused request — and says nothing
/// about an outage: its pass ends with `abandon` (a success with `success`).
constexpr bool counts_against_breaker(providers::Kind k) noexcept {
  using providers::Kind;
  return k == Kind::network_error || k == Kind::server_error || k == Kind::overloaded;
}

/// Where a provider's breaker stands.
enum class BreakerState : std::uint8_t {
  closed,     ///< calls go
  open,       ///< calls skip the provider until the cool-off ends
  half_open,  ///< the cool-off is over: one trial call goes, the others skip the provider
};

constexpr std::string_view to_string(BreakerState s) noexcept {
  switch (s) {
    case BreakerState::closed: return "closed";
    case BreakerState::open: return "open";
    case BreakerState::half_open: return "half_open";
  }
  return "unknown";
}

/// A breaker opened or closed: the event the walk emits.
struct BreakerTransition {
  EventKind kind;                  ///< `breaker_opened` or `breaker_closed`
  std::size_t provider;            ///< the provider's index in the table
  std::optional<Duration> wait{};  ///< opened: the cool-off
  Instant until{};                 ///< opened: when the trial may go; closed: when it closed
};

/// What `ProviderBreakers::enter` answers for one attempt. Only `enter` makes an allowed pass,
/// so a report always names a provider of the table and the trial it was given.
class BreakerPass {
 public:
  /// Whether the attempt may go to the provider.
  bool allowed() const noexcept { return allowed_; }
  /// Whether this attempt is the one trial of a half-open breaker: its report decides.
  bool trial() const noexcept { return trial_; }
  /// Not allowed: the earliest instant the provider may be tried again (the end of the
  /// cool-off, or of the running trial's lease).
  Instant open_until() const noexcept { return open_until_; }
  std::size_t provider() const noexcept { return provider_; }

 private:
  friend class ProviderBreakers;
  std::size_t provider_ = 0;
  std::uint64_t ticket_ = 0;  // which trial this is; 0 for an ordinary pass
  Instant open_until_{};
  bool allowed_ = false;
  bool trial_ = false;
};

/// The breakers of every provider of a table, indexed as the table is. Thread safe.
class ProviderBreakers {
 public:
  /// Breakers for `providers` providers, all closed.
  static Result<ProviderBreakers> make(std::size_t providers, BreakerConfig config = {}) {
    if (auto r = config.validate(); !r) return tl::unexpected(r.error());
    return ProviderBreakers(providers, config);
  }

  // A moved-from table has no providers: every index is outside it.
  ProviderBreakers(ProviderBreakers&& o) noexcept
      : config_(o.config_), size_(std::exchange(o.size_, 0)), slots_(std::move(o.slots_)) {}
  ProviderBreakers& operator=(ProviderBreakers&& o) noexcept {
    config_ = o.config_;
    size_ = std::exchange(o.size_, 0);
    slots_ = std::move(o.slots_);
    return *this;
  }

  const BreakerConfig& config() const noexcept { return config_; }
  std::size_t providers() const noexcept { return size_; }

  /// May an attempt go to `provider` at `t`? An index outside the table is an error.
  Result<BreakerPass> enter(std::size_t provider, Instant t) {
    if (provider >= size_)
      return fail(Errc::invalid_argument,
                  fmt::format("breaker: provider index {} is outside the table of {} providers", provider, size_));
    // Relaxed: a call that reads "closed" just as another thread opens the breaker goes
    // anyway, as it would have a moment earlier; nothing else is read through this load.
    if (slots_[provider].gate.load(std::memory_order_relaxed) == closed_gate) return ordinary(provider);
    return enter_opened(provider, t);
  }

  /// A network or 5xx failure of an allowed attempt. Opens the breaker when it completes
  /// `failures` within `window` (closed), or when it was the trial (half-open).
  std::optional<BreakerTransition> failure(const BreakerPass& pass, Instant t) {
    if (!config_.enabled || !reported(pass)) return std::nullopt;
    Slot& s = slots_[pass.provider_];
    std::lock_guard lk(s.m);
    if (s.gate.load(std::memory_order_relaxed) == closed_gate) {
      if (!record_failure(s, t)) return std::nullopt;
      return open(s, pass.provider_, t);
    }
    // Open: only the current trial's failure counts. Attempts let through before the breaker
    // opened end in failures too; the opening already counted the outage they saw.
    if (!current_trial(s, pass)) return std::nullopt;
    return open(s, pass.provider_, t);
  }

  /// A success of an allowed attempt: clears the failures counted (closed), or closes the
  /// breaker when it was the trial (half-open).
  std::optional<BreakerTransition> success(const BreakerPass& pass, Instant t) {
    if (!reported(pass)) return std::nullopt;
    Slot& s = slots_[pass.provider_];
    if (s.gate.load(std::memory_order_relaxed) == closed_gate &&
        s.counted.load(std::memory_order_relaxed) == 0)
      return std::nullopt;  // the usual case: nothing to clear
    std::lock_guard lk(s.m);
    if (s.gate.load(std::memory_order_relaxed) == closed_gate) {
      clear_failures(s);
      return std::nullopt;
    }
    // A success of an attempt let through before the breaker opened is old news: the trial
    // decides.
    if (!current_trial(s, pass)) return std::nullopt;
    clear_failures(s);
    s.trial_out = false;
    s.gate.store(closed_gate, std::memory_order_relaxed);
    return BreakerTransition{EventKind::breaker_closed, pass.provider_, std::nullopt, t};
  }

  /// An allowed attempt ended without a verdict on the provider (cancelled, not sent, or an
  /// answer that says nothing about its health). A trial is given back, so the next call is
  /// the trial; any other pass needs nothing.
  void abandon(const BreakerPass& pass) {
    if (!reported(pass) || !pass.trial_) return;
    Slot& s = slots_[pass.provider_];
    std::lock_guard lk(s.m);
    if (pass.ticket_ == s.trial) s.trial_out = false;
  }

  /// Where `provider`'s breaker stands at `t` (closed for an index outside the table).
  BreakerState state(std::size_t provider, Instant t) const {
    if (provider >= size_) return BreakerState::closed;
    Slot& s = slots_[provider];
    std::lock_guard lk(s.m);
    if (s.gate.load(std::memory_order_relaxed) == closed_gate) return BreakerState::closed;
    return t < s.open_until ? BreakerState::open : BreakerState::half_open;
  }

 private:
  static constexpr std::int64_t closed_gate = detail::i64_min;

  // One provider's breaker. Aligned to a cache line so providers' hot loads do not share one.
  struct alignas(64) Slot {
    // closed_gate while closed; otherwise the end of the cool-off, in ns. The only field
    // read without the mutex.
    std::atomic<std::int64_t> gate{closed_gate};
    // Failures in `ring` (closed): lets a success skip the mutex when there is nothing to clear.
    std::atomic<std::uint32_t> counted{0};
    mutable std::mutex m;
    // Under m: the instants of the last `failures` failures, oldest at `next` once full.
    std::vector<Instant> ring;
    std::size_t next = 0;
    Instant open_until{};
    std::uint64_t trial = 0;  // ticket of the latest trial handed out
    bool trial_out = false;
    Instant trial_started{};
  };

  ProviderBreakers(std::size_t providers, BreakerConfig config)
      : config_(config), size_(providers), slots_(std::make_unique<Slot[]>(providers)) {
    for (std::size_t i = 0; i < size_; ++i) slots_[i].ring.reserve(config_.failures);
  }

  static Result<BreakerPass> ordinary(std::size_t provider) {
    BreakerPass p;
    p.provider_ = provider;
    p.allowed_ = true;
    return p;
  }

  bool reported(const BreakerPass& pass) const noexcept { return pass.allowed_ && pass.provider_ < size_; }

  // Under s.m: whether `pass` is the trial still waiting for its verdict. A trial that was
  // replaced, given back, or already reported (the breaker re-opened) decides nothing.
  static bool current_trial(const Slot& s, const BreakerPass& pass) noexcept {
    return pass.trial_ && s.trial_out && pass.ticket_ == s.trial;
  }

  // The breaker is (or was, a moment ago) open: skip, or hand out the trial.
  Result<BreakerPass> enter_opened(std::size_t provider, Instant t) {
    Slot& s = slots_[provider];
    std::lock_guard lk(s.m);
    if (s.gate.load(std::memory_order_relaxed) == closed_gate) return ordinary(provider);
    BreakerPass p;
    p.provider_ = provider;
    if (t < s.open_until) {
      p.open_until_ = s.open_until;
      return p;
    }
    // Half-open. A trial unreported for a whole cool-off is taken as abandoned (see the file
    // comment): this call becomes the trial instead.
    const Instant lease_end = s.trial_started + config_.cool_off;
    if (s.trial_out && t < lease_end) {
      p.open_until_ = lease_end;
      return p;
    }
    s.trial_out = true;
    s.trial_started = t;
    p.allowed_ = true;
    p.trial_ = true;
    p.ticket_ = ++s.trial;
    return p;
  }

  // Under s.m, closed: adds a failure at t; true when the last `failures` lie within `window`.
  bool record_failure(Slot& s, Instant t) {
    if (s.ring.size() < config_.failures) {
      s.ring.push_back(t);
    } else {
      s.ring[s.next] = t;
      s.next = (s.next + 1) % s.ring.size();
    }
    s.counted.store(static_cast<std::uint32_t>(s.ring.size()), std::memory_order_relaxed);
    if (s.ring.size() < config_.failures) return false;
    // Threads report with instants read at slightly different moments, so the ring is not
    // strictly ordered: the span is newest − oldest whatever their places.
    const auto [oldest, newest] = std::minmax_element(s.ring.begin(), s.ring.end());
    return *newest - *oldest <= config_.window;
  }

  static void clear_failures(Slot& s) {
    s.ring.clear();
    s.next = 0;
    s.counted.store(0, std::memory_order_relaxed);
  }

  // Under s.m: opens the breaker at t for one cool-off.
  BreakerTransition open(Slot& s, std::size_t provider, Instant t) {
    clear_failures(s);
    s.trial_out = false;
    s.open_until = Instant{Duration{detail::sat_add(t.time_since_epoch().count(), config_.cool_off.count())}};
    s.gate.store(s.open_until.time_since_epoch().count(), std::memory_order_relaxed);
    return BreakerTransition{EventKind::breaker_opened, provider, config_.cool_off, s.open_until};
  }

  BreakerConfig config_;
  std::size_t size_;
  std::unique_ptr<Slot[]> slots_;
};

}  // namespace governed
