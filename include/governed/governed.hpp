#pragma once
/// @file
/// The umbrella header: everything governed offers except the heavy optional parts (the HTTP
/// transport and the Redis state), which have headers and CMake components of their own. It
/// is the core (core.hpp: limiters, limit sets, policies, `State`, `Governed`) and the rest:
/// the provider simulator's transport, the configuration reader, every observer and every
/// provider header, the key-health file that `State::create` saves key health in by default
/// (keys/health_file.hpp), and the reader of the replies of a transport that hands back bytes
/// only (transport/reply_reader.hpp).

#include <governed/core.hpp>

#include <governed/async.hpp>
#include <governed/breaker.hpp>
#include <governed/budget.hpp>
#include <governed/cache.hpp>
#include <governed/cached_response.hpp>
#include <governed/config.hpp>
#include <governed/cooldowns.hpp>
#include <governed/json_text_parse.hpp>
#include <governed/keys/health_file.hpp>
#include <governed/observe.hpp>
#include <governed/providers.hpp>
#include <governed/transport/reply_reader.hpp>
#include <governed/transport/simulated.hpp>
#include <governed/walk.hpp>
