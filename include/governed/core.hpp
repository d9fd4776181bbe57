#pragma once
/// @file
/// The core of governed: the clocks, limiters and limit sets, the backoff, key and fallback
/// policies, `State` and `Governed` with the transport concept — what a governed call needs,
/// without the provider simulator (`transport::simulated`, sim/), the configuration reader
/// (config.hpp) and the bodies of the asynchronous calls (async.hpp: `Governed::async_send`
/// and `async_stream` need it, and say so when it is missing). The umbrella, governed.hpp, is this header and the rest; docs/architecture.md
/// says what each costs to compile.

#include <governed/backoff.hpp>
#include <governed/clock/coarse.hpp>
#include <governed/clock/concept.hpp>
#include <governed/clock/manual.hpp>
#include <governed/clock/scaled.hpp>
#include <governed/clock/steady.hpp>
#include <governed/error.hpp>
#include <governed/fallback.hpp>
#include <governed/family.hpp>
#include <governed/governor.hpp>
#include <governed/keys.hpp>
#include <governed/limit_set.hpp>
#include <governed/limit_store.hpp>
#include <governed/limiter.hpp>
#include <governed/policies.hpp>
#include <governed/request.hpp>
#include <governed/result.hpp>
#include <governed/state.hpp>
#include <governed/time.hpp>
#include <governed/transport/concept.hpp>
