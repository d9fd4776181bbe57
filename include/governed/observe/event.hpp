#pragma once
/// @file
/// Events: what the governor did during a call, with the message a person can read.
///
/// The application this library came from showed its users "Switching to GROQ
/// llama-3.1-70b-versatile…" instead of a raw 429 with an organisation id in it. Every step of
/// a call's walk — admitted, waited, retried, switched model or provider, rotated key, cooled a
/// model, skipped a model that cannot carry the call, budget alerts, cache hits, failure — is
/// an `Event` carrying that sentence (built with providers/messages.hpp; `Event::of` picks the
/// sentence for the kind, `Event::make` takes a more specific one), and goes to the observer
/// the user installs.
///
/// Secrets: an event's text fields pass through `providers::redact` when the event is made,
/// with the configured keys, so no key or organisation id reaches an observer.
///
/// Cost when nobody listens: `Observers::active()` is one relaxed atomic load, and
/// `emit_lazy` builds the event (and its message) only when it is true.
///
/// ```cpp
/// governed::Observers observers;   // one per State
/// observers.install([](const governed::Event& e) {
///   fmt::print("{}: {}\n", governed::to_string(e.kind), e.message);
/// });
/// observers.emit_lazy([&] {        // on the call path: built only when somebody listens
///   return governed::Event::of(governed::EventKind::cooled, "groq", "llama-3.3-70b-versatile",
///                              "scraper", 1366848ms, clock.wall_now(), keys);
/// });
/// ```

#include <governed/providers/messages.hpp>
#include <governed/providers/redact.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace governed {

enum class EventKind : std::uint8_t {
  admitted,           ///< the limit set admitted the call
  waited,             ///< the call waited for admission (`wait` says how long)
  retried,            ///< backing off, then the same target again
  switched_model,     ///< another model of the same provider
  switched_provider,  ///< another provider
  key_rotated,        ///< another key of the provider
  key_exhausted,      ///< a key's (account's) daily, monthly or billing quota is spent
  key_invalid,        ///< a key was rejected (401) and will not be used again
  cooled,             ///< a model is skipped by every call site for `wait`
  budget_alert,       ///< a spend threshold (80 %) was crossed
  budget_exhausted,   ///< a task, token or spend budget refused the call
  cache_hit,          ///< answered from the response cache
  failed,             ///< the call ends with an error
  /// Something beside the calls went wrong and the governor carries on without it: the key
  /// health file could not be read or written (its lock stayed busy, the disk refused), so
  /// key health is kept in memory. The message says what and where; calls are unaffected.
  warning,
  /// A provider's circuit breaker opened: N network or 5xx failures across its models within
  /// the window; every call skips the provider for `wait` (the cool-off), then one trial call
  /// decides.
  breaker_opened,
  /// The trial call after a cool-off succeeded: the provider is in use again.
  breaker_closed,
  /// Alert: more 429s a minute on one target (provider, model) than the threshold.
  alert_rate_limits,
  /// Alert: the share of calls that failed over the window is above the threshold.
  alert_error_rate,
  /// Alert: the last hour's spend is above the threshold times the trailing 24-hour mean.
  alert_spend_spike,
  /// A candidate was passed over unsent: its model lacks what the call needs (tools,
  /// documents, a strict schema …). No cooldown, no retry: the next candidate at once.
  skipped,
};

inline constexpr std::size_t event_kinds = 20;

constexpr std::string_view to_string(EventKind k) noexcept {
  switch (k) {
    case EventKind::admitted: return "admitted";
    case EventKind::waited: return "waited";
    case EventKind::retried: return "retried";
    case EventKind::switched_model: return "switched_model";
    case EventKind::switched_provider: return "switched_provider";
    case EventKind::key_rotated: return "key_rotated";
    case EventKind::key_exhausted: return "key_exhausted";
    case EventKind::key_invalid: return "key_invalid";
    case EventKind::cooled: return "cooled";
    case EventKind::budget_alert: return "budget_alert";
    case EventKind::budget_exhausted: return "budget_exhausted";
    case EventKind::cache_hit: return "cache_hit";
    case EventKind::failed: return "failed";
    case EventKind::warning: return "warning";
    case EventKind::breaker_opened: return "breaker_opened";
    case EventKind::breaker_closed: return "breaker_closed";
    case EventKind::alert_rate_limits: return "alert_rate_limits";
    case EventKind::alert_error_rate: return "alert_error_rate";
    case EventKind::alert_spend_spike: return "alert_spend_spike";
    case EventKind::skipped: return "skipped";
  }
  return "unknown";
}

/// The sentence an event of `kind` shows when the composition has none more specific to say:
/// the target it concerns and, where one applies, the wait in words ("22 minutes"). Redacted
/// with `keys` like every message.
///
///   switched_model, groq, llama-3.1-70b-versatile → "Switching to GROQ llama-3.1-70b-versatile…"
///   failed, wait 22 min 46 s → "All alternative providers are rate limited. Please try again in 22 minutes."
inline std::string friendly_message(EventKind kind, std::string_view provider, std::string_view model,
                                    std::optional<Duration> wait = {}, std::span<const std::string> keys = {}) {
  namespace pd = providers::detail;
  const std::string who = pd::target(provider, model);
  const std::string name = pd::shout(provider);
  const std::string in = wait ? fmt::format(" in {}", providers::humanize(*wait)) : std::string{};
  std::string s;
  switch (kind) {
    case EventKind::admitted: s = fmt::format("Sending to {}.", who); break;
    case EventKind::waited:
      s = wait ? fmt::format("Waited {} for {}'s rate limit before sending.", providers::humanize(*wait), who)
               : fmt::format("Waited for {}'s rate limit before sending.", who);
      break;
    case EventKind::retried: s = fmt::format("{} asked to slow down. Retrying{}\u2026", who, in); break;
    case EventKind::switched_model:
    case EventKind::switched_provider: return providers::switching_message(provider, model, keys);
    case EventKind::key_rotated: s = fmt::format("Switching to another {} key\u2026", name); break;
    case EventKind::key_exhausted:
      s = fmt::format("The quota of this {} key is used up{}. Switching to another key\u2026", name,
                      wait ? fmt::format("; it resets in {}", providers::humanize(*wait)) : std::string{});
      break;
    case EventKind::key_invalid:
      s = fmt::format("{} rejected an API key; it will not be used again.", name);
      break;
    case EventKind::cooled: return providers::rate_limited_message(provider, model, wait, keys);
    case EventKind::budget_alert: s = "80 % of the spending budget is used."; break;
    case EventKind::budget_exhausted: s = "The budget is used up; the call was not sent."; break;
    case EventKind::cache_hit: s = fmt::format("Answered from the cache; nothing was sent to {}.", who); break;
    case EventKind::failed:
      if (wait) return providers::all_rate_limited_message(wait);
      s = fmt::format("The call to {} failed.", who);
      break;
    case EventKind::warning: s = "The governor hit a problem beside the call and carries on without it."; break;
    case EventKind::breaker_opened:
      s = fmt::format("{} keeps failing; it is skipped{}, then one call tries it again.", name,
                      wait ? fmt::format(" for {}", providers::humanize(*wait)) : std::string{});
      break;
    case EventKind::breaker_closed: s = fmt::format("{} answered again; it is back in use.", name); break;
    case EventKind::alert_rate_limits: s = fmt::format("{} is answering with many 429s.", who); break;
    case EventKind::alert_error_rate: s = "An unusual share of calls is failing."; break;
    case EventKind::alert_spend_spike: s = "Spending in the last hour is well above the daily average."; break;
    case EventKind::skipped: s = fmt::format("Skipping {}: it cannot carry this call.", who); break;
  }
  return providers::redact(s, keys);
}

/// One step of a call's walk.
struct Event {
  EventKind kind;
  std::string provider;
  std::string model;
  std::string task;
  std::string message;                 ///< for people; redacted
  std::optional<Duration> wait{};      ///< waited, retried, cooled: how long
  std::string key_fingerprint{};       ///< key events: which key, never the key itself
  WallTime at{};

  /// An event whose text fields are redacted: configured `keys` verbatim, then every
  /// secret-shaped token (see providers/redact.hpp).
  static Event make(EventKind kind, std::string_view provider, std::string_view model, std::string_view task,
                    std::string_view message, WallTime at = {}, std::span<const std::string> keys = {}) {
    return Event{kind,
                 providers::redact(provider, keys),
                 providers::redact(model, keys),
                 providers::redact(task, keys),
                 providers::redact(message, keys),
                 std::nullopt,
                 {},
                 at};
  }

  /// An event with its friendly message (see `friendly_message`) and its wait.
  static Event of(EventKind kind, std::string_view provider, std::string_view model, std::string_view task = {},
                  std::optional<Duration> wait = {}, WallTime at = {}, std::span<const std::string> keys = {}) {
    Event e = make(kind, provider, model, task, friendly_message(kind, provider, model, wait, keys), at, keys);
    e.wait = wait;
    return e;
  }
};

using Observer = std::function<void(const Event&)>;

/// The observer slot of a State. Installing and emitting may happen on any threads at once:
/// an emit that overlaps an install reaches either the old or the new observer, whole.
class Observers {
 public:
  /// Installs `observer` (an empty function uninstalls).
  void install(Observer observer) {
    auto p = observer ? std::make_shared<const Observer>(std::move(observer)) : nullptr;
    std::lock_guard lk(m_);
    current_ = std::move(p);
    active_.store(current_ != nullptr, std::memory_order_release);
  }

  /// Whether anybody listens: one relaxed load, so a call with no observer pays nothing else.
  bool active() const noexcept { return active_.load(std::memory_order_relaxed); }

  /// Hands `e` to the observer. The observer runs outside the lock, so it may install another.
  void emit(const Event& e) const {
    if (!active()) return;
    std::shared_ptr<const Observer> o;
    {
      std::lock_guard lk(m_);
      o = current_;
    }
    if (o) (*o)(e);
  }

  /// Builds the event with `make()` only when somebody listens.
  template <class Make>
  void emit_lazy(Make&& make) const {
    if (active()) emit(std::forward<Make>(make)());
  }

 private:
  mutable std::mutex m_;
  std::shared_ptr<const Observer> current_;
  std::atomic<bool> active_{false};
};

}  // namespace governed
