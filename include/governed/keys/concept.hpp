#pragma once
/// @file
/// The interface every key selection policy shares.

#include <governed/family.hpp>
#include <governed/keys/key_view.hpp>
#include <governed/random.hpp>
#include <governed/time.hpp>

#include <concepts>
#include <cstddef>
#include <optional>
#include <span>

namespace governed::keys {

/// A key selection policy: picks one usable key (see `usable`) out of the candidates, or
/// nothing when none is usable. One policy object serves every thread of a process: a policy
/// with state (round_robin's turn, sticky's current key) keeps it in an atomic, and no pick
/// allocates or locks. The `Random` is the call walk's own (seed it in tests).
///
/// `failed(index)` tells the policy a call on that key failed, whatever the pool then records;
/// only `sticky` listens.
template <class P>
concept KeyPolicy =
    std::same_as<typename P::family, family::keys> && std::default_initializable<P> &&
    requires(P& p, std::span<const KeyView> keys, Instant now, Random& rng, AvoidAccount avoid, std::size_t i) {
      { p.pick(keys, now, rng, avoid) } noexcept -> std::same_as<std::optional<std::size_t>>;
      { p.pick(keys, now, rng) } noexcept -> std::same_as<std::optional<std::size_t>>;
      { p.failed(i) } noexcept;
    };

/// A key policy that reads each key's load (`KeyView::headroom`) says so with
/// `static constexpr bool load_aware = true;`, and the walk fills `headroom` from the key's
/// limit set before every pick. Others see 1.0 on every key: working headroom out costs a
/// look at each key's limit set, paid only by a policy that uses it. `least_loaded` is one;
/// a policy of your own gets exactly what it gets.
template <class P>
concept LoadAware = KeyPolicy<P> && requires { requires P::load_aware; };

}  // namespace governed::keys
