#pragma once
/// @file
/// Every limiter: the rate families (`gcra` — the default —, `token_bucket`, `sliding_window`,
/// `sliding_window_approx`, `fixed_window`, `none`) and the `concurrency` and `stagger`
/// dimensions.

#include <governed/limiter/clocked.hpp>
#include <governed/limiter/concept.hpp>
#include <governed/limiter/concurrency.hpp>
#include <governed/limiter/decision.hpp>
#include <governed/limiter/fixed_window.hpp>
#include <governed/limiter/gcra.hpp>
#include <governed/limiter/limit.hpp>
#include <governed/limiter/none.hpp>
#include <governed/limiter/sliding_window.hpp>
#include <governed/limiter/sliding_window_approx.hpp>
#include <governed/limiter/stagger.hpp>
#include <governed/limiter/token_bucket.hpp>

namespace governed::limiter {
static_assert(RateLimiter<gcra> && RateLimiter<token_bucket> && RateLimiter<sliding_window> &&
              RateLimiter<sliding_window_approx> && RateLimiter<fixed_window> && RateLimiter<none>);
}
