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
