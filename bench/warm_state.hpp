#pragma once
// The warm State the governed benchmarks share (governed.cpp sends, stream.cpp streams), so
// their figures compare calls on the same footing: one OpenAI key, and limits far above what a
// benchmark sends, so every admission succeeds at once, as on a warm path. Seeded: the same
// random draws every run.

#include <governed/governed.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

namespace governed_bench {

inline std::shared_ptr<governed::State<>> warm_state() {
  governed::StateConfig c;
  c.keys.keys = {{"openai", "sk-bench-key-000000000000000000000", "org-bench"}};
  c.keys.persist = false;
  c.providers["openai"] =
      governed::ProviderSettings{.rpm = std::uint64_t{1} << 40, .tpm = std::uint64_t{1} << 50, .rpd = 0, .tpd = 0};
  c.seed = 1;
  return governed::State<>::create(std::move(c)).value();
}

/// "Say hello." to OpenAI's `model`, at most 16 tokens back.
inline governed::Request hello(std::string model) {
  governed::Request r;
  r.provider = "openai";
  r.model = std::move(model);
  r.messages = {{"user", "Say hello."}};
  r.max_tokens = 16;
  return r;
}

}  // namespace governed_bench
