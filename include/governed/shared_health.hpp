#pragma once
/// @file
/// `SharedHealth`: what one process finds out about keys and models — a key the provider
/// rejected (401), a model that stayed overloaded or failing until the walk gave up on it —
/// told to every other process sharing a backend (see `SharedBackend::health`), so that each
/// replica does not pay a 401 per key and a full backoff per failing model to learn the same
/// thing.
///
/// Telling is fire and forget: `key_invalid` and `model_cooling` hand the finding over and
/// return; the store sends it from a thread of its own. Learning is the other way round: the
/// store reads what the others found in the background and hands it to its listener, which
/// applies it to the process's key pool and cooldowns (`SharedHealthLink`). A call never waits
/// for the store, and its path gains no round trip: it reads the pool and the cooldowns, as it
/// always does.
///
/// A key is named by its fingerprint (keys/fingerprint.hpp), never by the key itself.

#include <governed/cooldowns.hpp>
#include <governed/keys/health.hpp>
#include <governed/keys/pool.hpp>
#include <governed/observe/event.hpp>
#include <governed/providers/messages.hpp>
#include <governed/providers/table.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace governed {

/// One finding of another process (or of this one: a store reads back what it told).
struct SharedFinding {
  enum class Kind : std::uint8_t {
    key_invalid,    ///< the provider rejected the key `fingerprint`: never use it
    model_cooling,  ///< `model` failed until the walk gave up on it: skip it until `until`
  };
  Kind kind = Kind::key_invalid;
  std::string provider{};
  std::string fingerprint{};  ///< key_invalid: the key's fingerprint
  std::string model{};        ///< model_cooling: the model
  /// model_cooling: when the cooldown ends (wall clock); key_invalid: when the record ends.
  WallTime until{};
  std::string reason{};  ///< model_cooling: why it cooled, for people (redacted by the teller)
};

/// Findings about keys and models, shared by the processes of one backend (see the file
/// comment). Every member function is thread safe.
class SharedHealth {
 public:
  virtual ~SharedHealth() = default;

  /// The provider rejected the key with fingerprint `fingerprint` (`wall`: now). Never waits.
  virtual void key_invalid(std::string_view provider, std::string_view fingerprint, WallTime wall) noexcept = 0;

  /// `model` at `provider` is skipped by every account until `until` (wall clock; `wall`: now),
  /// because `reason`. Never waits.
  virtual void model_cooling(std::string_view provider, std::string_view model, WallTime until,
                             std::string_view reason, WallTime wall) noexcept = 0;

  /// What the store hands the findings it reads to.
  using Listener = std::function<void(std::span<const SharedFinding>)>;

  /// Hands every later read to `listener` (empty: to nobody). Returns once no call to the
  /// previous listener is running, so its owner may go away.
  virtual void listen(Listener listener) = 0;

  /// Sends what this process found and hands the listener what all have found, now, on the
  /// calling thread; each step is bounded by the store's timeouts. The store does this on its
  /// own every little while: a caller that must not wait for that (a test, a shutdown) calls it.
  /// Waits for an exchange under way to end first, so never from the listener (nor from an
  /// observer told of a finding it applies, which runs inside it).
  virtual Result<void> sync() = 0;
};

/// Ties a State to its backend's `SharedHealth`: tells it what the State's calls find, and
/// applies what it reads to the State's key pool (a rejected key is marked invalid, by its
/// fingerprint) and cooldowns (a model cooled for every account). Detaches when destroyed,
/// waiting out a read being applied, so it must be destroyed before what it applies to.
class SharedHealthLink {
 public:
  SharedHealthLink() = default;
  SharedHealthLink(const SharedHealthLink&) = delete;
  SharedHealthLink& operator=(const SharedHealthLink&) = delete;
  ~SharedHealthLink() {
    if (health_) health_->listen({});
  }

  /// Starts sharing with `health` (null: nothing is shared). `state` must outlive this link.
  template <class State>
  void attach(std::shared_ptr<SharedHealth> health, State& state) {
    health_ = std::move(health);
    if (health_) health_->listen([&state](std::span<const SharedFinding> found) { take_in(state, found); });
  }

  /// The store, or null when nothing is shared.
  SharedHealth* get() const noexcept { return health_.get(); }

  /// The provider rejected the key with fingerprint `fingerprint`. A keyless entry names no key
  /// another process holds: its 401 stays here.
  void key_invalid(std::string_view provider, std::string_view fingerprint, WallTime wall) const noexcept {
    if (health_ && fingerprint != keys::keyless_fingerprint) health_->key_invalid(provider, fingerprint, wall);
  }

  /// The walk gave up on `model` at `provider`, for every account, until `until`.
  void model_cooling(std::string_view provider, std::string_view model, WallTime until, std::string_view reason,
                     WallTime wall) const noexcept {
    if (health_) health_->model_cooling(provider, model, until, reason, wall);
  }

  /// Sends and takes in now (see `SharedHealth::sync`); nothing to do when nothing is shared.
  Result<void> sync() const { return health_ ? health_->sync() : Result<void>{}; }

 private:
  /// A cooldown read back less than this later than the one in force is the same cooldown
  /// (its own, or one told twice): the two clocks' readings differ by a little.
  static constexpr Duration same_cooldown = std::chrono::seconds{1};

  template <class State>
  static void take_in(State& s, std::span<const SharedFinding> found) {
    const Instant t = s.clock().now();
    const WallTime w = s.clock().wall_now();
    for (const auto& f : found) {
      if (f.until <= w) continue;
      // A provider or model this State's table does not have: nothing here would call it.
      const providers::Provider* p = s.table().provider(f.provider);
      if (!p) continue;
      if (f.kind == SharedFinding::Kind::key_invalid) take_in_key(s, *p, f.fingerprint, w);
      else if (const providers::Model* m = s.table().model(p->name, f.model)) take_in_cooling(s, *p, *m, f, t, w);
    }
  }

  template <class State>
  static void take_in_key(State& s, const providers::Provider& p, std::string_view fingerprint, WallTime w) {
    const auto i = s.keys().find(p.name, fingerprint);
    if (!i || s.keys().keyless(*i) || s.keys().health(*i, w) == keys::KeyHealth::invalid) return;
    (void)s.keys().mark_invalid(*i, w);
    s.observers().emit_lazy([&] {
      Event e = Event::make(EventKind::key_invalid, p.name, "", "",
                            fmt::format("Another process found a {} key rejected by the provider; it will not be "
                                        "used here either.",
                                        providers::detail::shout(p.name)),
                            w, s.secrets());
      e.key_fingerprint = std::string(fingerprint);
      return e;
    });
  }

  template <class State>
  static void take_in_cooling(State& s, const providers::Provider& p, const providers::Model& m,
                              const SharedFinding& f, Instant t, WallTime w) {
    const Duration left = f.until - w;
    const Instant until = left >= Instant::max() - t ? Instant::max() : t + left;
    const CooldownKey key{p.name, m.name, {}};
    if (const auto now_until = s.cooldowns().cooling_until(key, t); now_until && *now_until + same_cooldown >= until)
      return;
    s.cooldowns().cool(key, until, providers::redact(f.reason, s.secrets()), t);
    s.observers().emit_lazy([&] {
      Event e = Event::make(EventKind::cooled, p.name, m.name, "",
                            fmt::format("Another process gave up on {} for now; it is skipped here too for {}.",
                                        providers::detail::target(p.name, m.name), providers::humanize(left)),
                            w, s.secrets());
      e.wait = left;
      return e;
    });
  }

  std::shared_ptr<SharedHealth> health_{};
};

}  // namespace governed
