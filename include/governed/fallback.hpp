#pragma once
/// @file
/// The fallback family: which (provider, model) pairs a call tries, in which order.
/// `models_then_providers` (default), `providers_then_models`, `cheapest_first`,
/// `context_fit`, `none`. Under every policy, models whose context window cannot hold the
/// request are skipped.

#include <governed/fallback/candidates.hpp>
#include <governed/fallback/cheapest_first.hpp>
#include <governed/fallback/concept.hpp>
#include <governed/fallback/context_fit.hpp>
#include <governed/fallback/models_then_providers.hpp>
#include <governed/fallback/none.hpp>
#include <governed/fallback/providers_then_models.hpp>
