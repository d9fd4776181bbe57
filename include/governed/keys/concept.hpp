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

}  // namespace governed::keys
