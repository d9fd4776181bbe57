#pragma once
/// @file
/// The umbrella header: everything governed offers except the heavy optional parts (the HTTP
/// transport and the Redis state), which have headers and CMake components of their own.

#include <governed/clock.hpp>
#include <governed/error.hpp>
#include <governed/family.hpp>
#include <governed/limiter.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>
#include <governed/limit_set.hpp>
#include <governed/limit_store.hpp>
#include <governed/providers.hpp>
#include <governed/backoff.hpp>
#include <governed/breaker.hpp>
#include <governed/budget.hpp>
#include <governed/cache.hpp>
#include <governed/cached_response.hpp>
#include <governed/config.hpp>
#include <governed/cooldowns.hpp>
#include <governed/fallback.hpp>
#include <governed/keys.hpp>
#include <governed/observe.hpp>
#include <governed/policies.hpp>
#include <governed/request.hpp>
#include <governed/state.hpp>
#include <governed/walk.hpp>
#include <governed/governor.hpp>
#include <governed/transport/concept.hpp>
#include <governed/transport/simulated.hpp>
