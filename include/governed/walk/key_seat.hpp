#pragma once
/// @file
/// `walk::KeySeat`: the key a call's attempts go out with. It asks the call site's key policy
/// for a usable key of the candidate's provider (never an invalid or exhausted one, nor one
/// whose account the model cools for), remembers the key chosen and whether an attempt went
/// out with it, and records what the provider said of it: an account spent (the call then
/// avoids the account) or a key refused (never used again, here or in the processes sharing
/// the health). The choice's rules are walk/key_choice.hpp's; what the walk says of each is
/// its own. tests/walk/key_seat.cpp drives it over a State.

#include <governed/cooldowns.hpp>
#include <governed/fallback/candidates.hpp>
#include <governed/keys/concept.hpp>
#include <governed/keys/exhaustion.hpp>
#include <governed/keys/key_view.hpp>
#include <governed/keys/pool.hpp>
#include <governed/providers/messages.hpp>
#include <governed/random.hpp>
#include <governed/time.hpp>
#include <governed/walk/held_back.hpp>
#include <governed/walk/key_choice.hpp>

#include <boost/container/static_vector.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace governed::walk {

/// Whether `p` is configured keyless in `state`: its one pool entry carries no key.
template <class StateT>
bool keyless(const StateT& state, const providers::Provider& p) {
  const auto keys = state.key_indices(p);
  return keys.size() == 1 && state.keys().keyless(keys.front());
}

/// What a 401 to a keyless provider means: its server does want a key.
inline std::string refused_without_key(const providers::Provider& p) {
  return providers::refused_without_key_message(p.display, p.name);
}

class KeySeat {
 public:
  /// The key `policy` picks among `c`'s provider's keys in `state` at `t` (`w`, its wall
  /// time); none when no key is usable — then `held` learns when the first comes back, or
  /// `why` says why none ever will.
  template <class StateT, class Keys>
  std::optional<std::size_t> choose(StateT& state, Keys& policy, const fallback::Candidate& c, Instant t, WallTime w,
                                    Random& rng, HeldBack& held, std::string& why) {
    // Only as many views as the provider has keys (at most 32) are built: a call site with
    // one key pays for one.
    boost::container::static_vector<keys::KeyView, 32> views;
    for (std::size_t i : state.key_indices(*c.provider)) {
      if (views.size() == views.capacity()) break;
      views.push_back(state.keys().key_view(i, w, t));
    }
    if (views.empty()) {
      why = providers::no_key_configured_message(c.provider->name);
      return std::nullopt;
    }
    for (auto& v : views) {
      apply_cooldown(v, state.cooldowns().cooling_until(CooldownKey{c.provider->name, c.model->name, v.account}, t));
      if constexpr (keys::LoadAware<Keys>) {
        if (const auto* set = state.find_limit_set(*c.provider, *c.model, v.account)) v.headroom = headroom(*set, t);
      }
    }
    const std::span<const keys::KeyView> span{views.data(), views.size()};
    auto picked = policy.pick(span, t, rng, avoid_);
    if (!picked) {
      if (!for_each_return(span, t, [&](Duration wait) { held.remember(wait); }))
        why = keyless(state, *c.provider) ? refused_without_key(*c.provider)
                                          : providers::every_key_refused_message(c.provider->name);
      return std::nullopt;
    }
    return *picked;
  }

  /// The call's attempts go out with `picked` of `pool` from now on, for `provider`; the call
  /// has sent `attempts` so far. True when this is a rotation: another key of the same
  /// provider takes over from one an attempt was sent with. A move to another provider uses
  /// that provider's key, and a key chosen but never sent with (its admission was refused) was
  /// not replaced: neither is a rotation.
  bool use(std::size_t picked, std::uint32_t attempts, const keys::Pool& pool, std::string_view provider) noexcept {
    bool rotated = false;
    if (picked != key_ || !chosen_) {
      rotated = chosen_ && attempts > attempts_before_ && pool.provider(key_) == provider;
      attempts_before_ = attempts;
    }
    key_ = picked;
    chosen_ = true;
    return rotated;
  }

  /// Whether a key was chosen, and which (its index in the State's pool).
  bool chosen() const noexcept { return chosen_; }
  std::size_t key() const noexcept { return key_; }

  /// A new candidate: any account is welcome again.
  void new_candidate() noexcept { avoid_.reset(); }

  /// The account of the key is spent until `until` (wall time; `w` is now): the pool records
  /// it — or, with `one_model`, the State records the account's use of `c`'s model alone —
  /// so no call picks it until then; `policy` learns the key failed, and this call's next
  /// choice avoids the account.
  template <class StateT, class Keys>
  void spent(StateT& state, Keys& policy, const fallback::Candidate& c, bool one_model, WallTime until, WallTime w) {
    const std::string_view account = state.keys().account(key_);
    if (one_model) (void)state.exhaust_model(*c.provider, *c.model, account, until);
    else (void)state.keys().mark_exhausted(key_, until, w);
    policy.failed(key_);
    avoid_ = account;
  }

  /// The provider `p` refused the key: never used again, here or (by fingerprint) by the
  /// processes sharing the State's health; `policy` learns it failed.
  template <class StateT, class Keys>
  void invalidate(StateT& state, Keys& policy, const providers::Provider& p, WallTime w) {
    (void)state.keys().mark_invalid(key_, w);
    state.shared_health().key_invalid(p.name, state.keys().fingerprint(key_), w);
    policy.failed(key_);
  }

 private:
  std::size_t key_ = 0;
  bool chosen_ = false;
  /// The call's attempts when `key_` was chosen: more since, and an attempt was sent with it.
  std::uint32_t attempts_before_ = 0;
  keys::AvoidAccount avoid_{};
};

}  // namespace governed::walk
