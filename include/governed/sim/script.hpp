#pragma once
/// @file
/// `sim::Script`: what a scenario test makes the provider do besides enforcing its limits —
/// canned replies, streams that break off after k pieces, and states that last until a given
/// instant ("model X at account A is over its daily tokens until T", "model Y is overloaded
/// until T").

#include <governed/sim/call.hpp>
#include <governed/sim/meter.hpp>
#include <governed/time.hpp>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::sim {

/// Not thread-safe: the provider holds its lock around every use.
class Script {
 public:
  /// The next request for `model` (empty: for any model) gets `reply`, whatever its key and
  /// the limits; replies queued for one model are used first in, first out.
  void push(std::string model, ProviderReply reply) { canned_.emplace_back(std::move(model), std::move(reply)); }

  /// `account` is over its daily `measure` (requests or tokens) on `model` until `until`.
  void exhaust(std::string account, std::string model, Measure measure, Instant until) {
    exhausted_.push_back({std::move(account), std::move(model), measure, until});
  }

  /// `model` (empty: every model) answers the capacity error until `until`.
  void overload(std::string model, Instant until) { outages_.push_back({std::move(model), until}); }

  /// The next stream answered for `model` (empty: for any model) breaks off after `pieces`
  /// pieces; breaks queued for one model are used first in, first out. A call that is refused
  /// (a limit, a key) does not use one up: only a stream that begins does.
  void break_stream(std::string model, std::uint32_t pieces) { breaks_.emplace_back(std::move(model), pieces); }

  /// The break in force for the next stream of `model`, used up.
  std::optional<std::uint32_t> take_break(std::string_view model) {
    auto it = std::find_if(breaks_.begin(), breaks_.end(),
                           [&](const auto& b) { return b.first.empty() || b.first == model; });
    if (it == breaks_.end()) return std::nullopt;
    const std::uint32_t pieces = it->second;
    breaks_.erase(it);
    return pieces;
  }

  std::optional<ProviderReply> take(std::string_view model) {
    auto it = std::find_if(canned_.begin(), canned_.end(),
                           [&](const auto& c) { return c.first.empty() || c.first == model; });
    if (it == canned_.end()) return std::nullopt;
    ProviderReply r = std::move(it->second);
    canned_.erase(it);
    return r;
  }

  std::size_t pending() const noexcept { return canned_.size(); }

  /// The daily exhaustion in force for (account, model) at `now`: its measure and end.
  std::optional<std::pair<Measure, Instant>> exhausted(std::string_view account, std::string_view model,
                                                       Instant now) const {
    for (const auto& e : exhausted_)
      if (e.account == account && e.model == model && now < e.until) return std::pair{e.measure, e.until};
    return std::nullopt;
  }

  bool overloaded(std::string_view model, Instant now) const {
    return std::any_of(outages_.begin(), outages_.end(),
                       [&](const Outage& o) { return (o.model.empty() || o.model == model) && now < o.until; });
  }

 private:
  struct Exhaustion {
    std::string account, model;
    Measure measure;
    Instant until;
  };
  struct Outage {
    std::string model;
    Instant until;
  };
  std::deque<std::pair<std::string, ProviderReply>> canned_;
  std::deque<std::pair<std::string, std::uint32_t>> breaks_;
  std::vector<Exhaustion> exhausted_;
  std::vector<Outage> outages_;
};

}  // namespace governed::sim
