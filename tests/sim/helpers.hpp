#pragma once
// Shared by the simulated-provider tests: build a provider, send a call at the manual clock's
// time, classify what came back with the real classifier.

#include <governed/clock/manual.hpp>
#include <governed/dialect/classify.hpp>
#include <governed/providers/classify.hpp>
#include <governed/sim/provider.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

namespace simtest {

using namespace governed;
using namespace std::chrono_literals;

inline std::shared_ptr<sim::Provider> make(sim::Config cfg) {
  auto p = sim::Provider::create(std::move(cfg));
  REQUIRE(p);
  return *p;
}

/// One short user message: a few tokens of prompt.
inline const std::vector<providers::ChatMessage>& hello() {
  static const std::vector<providers::ChatMessage> m{{"user", "Say hello."}};
  return m;
}

inline sim::ProviderReply send(sim::Provider& p, const clock::manual& c, std::string_view key,
                       std::string_view model, std::uint32_t max_tokens = 64) {
  return p.handle(sim::Call{model, key, hello(), max_tokens, 1}, c.now(), c.wall_now());
}

inline providers::Verdict classify(const sim::Provider& p, const sim::ProviderReply& r, WallTime now) {
  const auto hs = r.header_view();
  return dialect::classify(p.config().provider, r.status, providers::HeaderView{hs}, r.body, now);
}

}  // namespace simtest
