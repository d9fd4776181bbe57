#pragma once
/// @file
/// Key selection: `round_robin` (the default), `least_loaded`, `sticky`, `weighted`, `random`,
/// over candidate `KeyView`s in the four `KeyHealth` states.

#include <governed/keys/concept.hpp>
#include <governed/keys/health.hpp>
#include <governed/keys/key_view.hpp>
#include <governed/keys/least_loaded.hpp>
#include <governed/keys/random.hpp>
#include <governed/keys/round_robin.hpp>
#include <governed/keys/sticky.hpp>
#include <governed/keys/weighted.hpp>
#include <governed/random.hpp>

namespace governed::keys {
static_assert(KeyPolicy<round_robin> && KeyPolicy<least_loaded> && KeyPolicy<sticky> &&
              KeyPolicy<weighted> && KeyPolicy<random>);
}
