#pragma once
/// @file
/// `sim::LatencyModel`: how long a simulated reply takes. Reported in the reply, never slept:
/// the in-process transport answers at once and the caller's clock decides what time means.

#include <governed/random.hpp>
#include <governed/time.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace governed::sim {

/// latency = fixed + per_output_token × output tokens + uniform jitter in [0, jitter].
/// The defaults approximate a hosted chat model: about 300 ms to the first token and
/// 20 ms per generated token (50 tokens/s), so a 64-token reply takes 1.58 s.
struct LatencyModel {
  Duration fixed = std::chrono::milliseconds{300};
  Duration per_output_token = std::chrono::milliseconds{20};
  Duration jitter = Duration::zero();

  /// The latency of a reply of `output_tokens`; draws from `rng` only when jitter is set, so
  /// the failure draws of a seeded run do not shift when jitter is turned on or off.
  Duration of(std::int64_t output_tokens, Random& rng) const noexcept {
    Duration d = fixed + per_output_token * std::max<std::int64_t>(output_tokens, 0);
    if (jitter > Duration::zero()) d += rng.between(Duration::zero(), jitter);
    return d;
  }
};

}  // namespace governed::sim
