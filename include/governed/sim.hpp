#pragma once
/// @file
/// The simulated provider: limits, accounts and keys, dialects, latency, failures, scripts
/// and the request log (see sim/provider.hpp). `transport::simulated` puts it behind the
/// transport concept; `governed-sim` behind loopback HTTP.

#include <governed/sim/accounts.hpp>
#include <governed/sim/call.hpp>
#include <governed/sim/config.hpp>
#include <governed/sim/replies.hpp>
#include <governed/sim/failures.hpp>
#include <governed/sim/latency.hpp>
#include <governed/sim/limits.hpp>
#include <governed/sim/log.hpp>
#include <governed/sim/meter.hpp>
#include <governed/sim/provider.hpp>
#include <governed/sim/script.hpp>
