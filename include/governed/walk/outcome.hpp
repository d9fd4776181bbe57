#pragma once
/// @file
/// `walk::Outcome`: what a call gathers on its way for its caller and its record — the events
/// said of it, what it counted, the path it took (the keys used, each target left and why),
/// what held its candidates back — and where its Response or Error goes when it ends. The
/// walk says and counts through it, and ends the call through it: `answered` or `failed`,
/// then `record`, which counts the call in the statistics and hands it to the call hook once.
/// tests/walk/outcome.cpp drives it.

#include <governed/error.hpp>
#include <governed/observe/call_hook.hpp>
#include <governed/observe/call_record.hpp>
#include <governed/observe/event.hpp>
#include <governed/observe/stats.hpp>
#include <governed/providers/usage.hpp>
#include <governed/request.hpp>
#include <governed/result.hpp>
#include <governed/walk/held_back.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::walk {

class Outcome {
 public:
  /// An outcome whose events go to `observers`, their words kept free of `secrets`, each
  /// naming the call's `task`: the State's observers and configured secrets and the request's
  /// task, all of which outlive the call.
  Outcome(const Observers& observers, std::span<const std::string> secrets, std::string_view task) noexcept
      : observers_(observers), secrets_(secrets), task_(task) {}
  Outcome(const Outcome&) = delete;
  Outcome& operator=(const Outcome&) = delete;

  // ---- what was said and counted -----------------------------------------------------------

  /// Says `e`: to the observers at once, and among the call's events for its Response.
  void say(Event e) {
    observers_.emit(e);
    events_.push_back(std::move(e));
  }

  /// Says `kind` of (`provider`, `model`) at `at` in `message`, with the `wait` and the key (by
  /// its `fingerprint`) it names: every name and word redacted of the secrets, to the
  /// observers at once and among the call's events.
  void note(EventKind kind, std::string_view provider, std::string_view model, std::string_view message, WallTime at,
            std::optional<Duration> wait = std::nullopt, std::string_view fingerprint = {}) {
    Event e = Event::make(kind, provider, model, task_, message, at, secrets_);
    e.wait = wait;
    e.key_fingerprint = std::string(fingerprint);
    say(std::move(e));
  }

  /// The secrets the call's words are redacted of.
  std::span<const std::string> secrets() const noexcept { return secrets_; }

  const std::vector<Event>& events() const noexcept { return events_; }
  CallCounts& counts() noexcept { return counts_; }
  const CallCounts& counts() const noexcept { return counts_; }
  /// What held the candidates back, for the error "nothing left" reports.
  HeldBack& held_back() noexcept { return held_back_; }
  const HeldBack& held_back() const noexcept { return held_back_; }

  /// The caller cancelled the call: its end says nothing of the providers.
  void cancel() noexcept { cancelled_ = true; }
  bool cancelled() const noexcept { return cancelled_; }

  /// A call that ends in failure was charged `cost` for `usage` (a stream cut off after its
  /// first piece): its record counts it.
  void charged(const providers::Usage& usage, double cost) noexcept { charged_ = Charged{usage, cost}; }

  // ---- the path, for the call hook ---------------------------------------------------------

  /// The call took up another target: what is said from now on is said of it.
  void entered_target() noexcept { events_on_target_ = events_.size(); }

  /// The target entered is another than the one left: a fallback, and the one left is a hop.
  void moved() noexcept {
    ++counts_.fallbacks;
    path_.moved();
  }

  /// An attempt is to go out with the key of fingerprint `fp`.
  void used_key(std::string_view fp) { path_.used_key(fp); }

  /// The call leaves the target (`provider`, `model`): because of `why`, else what was last
  /// said of the target since it was entered (cooled, failed, key exhausted …), else
  /// `otherwise` (why it could not serve).
  void left_target(std::string_view provider, std::string_view model, std::string_view why,
                   std::string_view otherwise) {
    std::string reason(why);
    if (reason.empty() && events_.size() > events_on_target_) reason = events_.back().message;
    if (reason.empty()) reason = otherwise;
    path_.left(provider, model, std::move(reason));
  }

  // ---- the end -----------------------------------------------------------------------------

  /// Has the outcome built in `out` instead of kept for `take_result()`: a driver that returns
  /// `out` (named return value) hands the Response to its caller without moving it. `out` is a
  /// default-constructed Result (an empty Response) that outlives the call's last step.
  void deliver_into(Result<Response>& out) noexcept { out_ = &out; }

  /// A new, empty Response as the outcome, to fill in place. The driver's slot holds one
  /// already (it is written once, when the call ends), so it is used as it is.
  Response& fresh_response() {
    if (!out_) return *result_.emplace();
    if (!out_->has_value()) out_->emplace();
    return **out_;
  }

  /// The call ends with `r`, the Response `fresh_response()` gave: it takes the events said.
  void answered(Response& r) {
    r.events = std::move(events_);
    done_ = true;
  }

  /// The call ends with a Response made elsewhere (a cached one): it takes the events said.
  void answered_with(Response r) {
    r.events = std::move(events_);
    slot() = std::move(r);
    done_ = true;
  }

  /// The call ends with `e`.
  void failed(Error e) {
    slot() = tl::unexpected(std::move(e));
    done_ = true;
  }

  bool done() const noexcept { return done_; }

  /// The outcome, once, after the call ended (an error before).
  Result<Response> take_result() {
    if (!result_) return tl::unexpected(Error{Errc::invalid_argument, "the call has not finished", {}});
    return std::move(*result_);
  }

  // ---- the record --------------------------------------------------------------------------

  /// How a call that failed at (`provider`, `model`) with `error` ends, for its record: with
  /// what it was charged, if anything.
  CallEnd failure(std::string_view provider, std::string_view model, Errc error, std::string_view message) const {
    return CallEnd{provider, model, false, false, charged_ ? charged_->usage : providers::Usage{},
                   charged_ ? charged_->cost : 0.0, error, message};
  }

  bool recorded() const noexcept { return recorded_; }

  /// Counts the call's record `rec` in `stats`, into the series of the target it reached
  /// (`model` and `provider`, both or neither) or else by its names, and hands it to `hook`
  /// when one is installed, completed by `for_hook(rec)` and with the call's path. Once per
  /// call: false when the call was recorded already.
  template <class ForHook>
  bool record(CallRecord& rec, Statistics& stats, Series* model, Series* provider, const CallHook& hook,
              ForHook&& for_hook) {
    if (std::exchange(recorded_, true)) return false;
    if (model && provider) stats.record(rec, *model, *provider);
    else stats.record(rec);
    if (!hook.active()) return true;
    std::vector<FallbackHop> hops;
    path_.fill(rec, hops);
    std::forward<ForHook>(for_hook)(rec);
    hook.call(rec);
    return true;
  }

 private:
  /// Where the outcome goes: the driver's slot, or the walk's own for `take_result()`.
  Result<Response>& slot() { return out_ ? *out_ : result_.emplace(); }

  const Observers& observers_;
  std::span<const std::string> secrets_;
  std::string_view task_;
  std::vector<Event> events_{};
  /// `events_` when the current target was entered: what was said of it since is after.
  std::size_t events_on_target_ = 0;
  CallCounts counts_{};
  // Gathered for the call hook only, while one is installed: the keys used in order, and each
  // target left with the message of the event that decided it (the last one is a hop only
  // once the call moved on to another target).
  CallPath path_{};
  HeldBack held_back_{};
  bool cancelled_ = false;
  bool recorded_ = false;
  bool done_ = false;
  struct Charged {
    providers::Usage usage;
    double cost = 0;
  };
  std::optional<Charged> charged_{};
  std::optional<Result<Response>> result_{};
  Result<Response>* out_ = nullptr;  ///< the driver's, when it asked (`deliver_into`)
};

}  // namespace governed::walk
