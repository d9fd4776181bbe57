#pragma once
/// @file
/// Every backoff policy: `exponential` (the default), `full_jitter`, `equal_jitter`,
/// `decorrelated_jitter`, `linear`, `constant`, `none`, and `next_step`, which puts a
/// provider's stated wait and the total-wait cap over any of them.

#include <governed/backoff/concept.hpp>
#include <governed/backoff/constant.hpp>
#include <governed/backoff/decorrelated_jitter.hpp>
#include <governed/backoff/equal_jitter.hpp>
#include <governed/backoff/exponential.hpp>
#include <governed/backoff/full_jitter.hpp>
#include <governed/backoff/linear.hpp>
#include <governed/backoff/none.hpp>
#include <governed/backoff/retry_state.hpp>
#include <governed/backoff/step.hpp>
#include <governed/random.hpp>

namespace governed::backoff {
static_assert(Backoff<exponential> && Backoff<full_jitter> && Backoff<equal_jitter> &&
              Backoff<decorrelated_jitter> && Backoff<linear> && Backoff<constant> && Backoff<none>);
}
