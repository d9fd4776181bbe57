#pragma once
/// @file
/// Every clock policy: `steady` (default), `coarse`, `manual` (tests), `scaled` (demos).

#include <governed/clock/async_wait.hpp>
#include <governed/clock/coarse.hpp>
#include <governed/clock/concept.hpp>
#include <governed/clock/manual.hpp>
#include <governed/clock/scaled.hpp>
#include <governed/clock/steady.hpp>

namespace governed::clock {
static_assert(Clock<steady> && Clock<coarse> && Clock<manual> && Clock<scaled>);
}
