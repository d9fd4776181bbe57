#pragma once
/// @file
/// `sim::FailureInjection`: the provider's own bad moments, at a given rate.

namespace governed::sim {

/// Each request independently fails with these probabilities (0..1), drawn from the
/// provider's seeded source, before any limit is counted: real providers do not charge a
/// request they could not serve. `overload_rate` answers the dialect's capacity error
/// (Anthropic 529 overloaded_error, others 503); `server_error_rate` a 500.
struct FailureInjection {
  double overload_rate = 0.0;
  double server_error_rate = 0.0;
};

}  // namespace governed::sim
