#pragma once
// A small world for the composition's tests: simulated Groq, OpenAI and Anthropic on a manual
// clock, a State over them, and a `Governed` call site.

#include <governed/governed.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace governed::test {

using Clock = clock::manual;
using Sim = transport::simulated<Clock>;
using TestState = State<limiter::gcra, Clock>;

struct SimKey {
  std::string provider, key, account;
};

/// Changes a simulated provider's configuration before it is built (limits, accounts,
/// forbidden models).
using SimTweak = std::function<void(sim::Config&)>;

struct World {
  explicit World(std::vector<SimKey> keys = default_keys(), StateConfig config = {}, std::size_t participants = 1,
                 const SimTweak& tweak = {})
      : clock(Instant{std::chrono::hours{1}}, Clock::default_wall_start, participants) {
    std::vector<std::string> names{"groq", "openai", "anthropic"};
    for (const auto& k : keys)
      if (std::find(names.begin(), names.end(), k.provider) == names.end()) names.push_back(k.provider);
    for (const auto& name : names) {
      sim::Config c;
      c.provider = name;
      for (const auto& k : keys)
        if (k.provider == name) c.keys.push_back({.key = k.key, .account = k.account});
      if (tweak) tweak(c);
      providers.push_back(sim::Provider::create(std::move(c)).value());
    }
    transport = std::make_shared<Sim>(clock, providers);
    for (const auto& k : keys) config.keys.keys.push_back({k.provider, k.key, k.account});
    config.keys.persist = config.keys.state_file.has_value();
    if (!config.seed) config.seed = 7;
    state = TestState::create(std::move(config), clock).value();
  }

  static std::vector<SimKey> default_keys() {
    return {{"groq", "gsk_test_groq_key_aaaaaaaaaaaaaaaaaaaa", "groq-org-a"},
            {"openai", "sk-test-openai-key-aaaaaaaaaaaaaaaaaaaa", "org-openai-a"},
            {"anthropic", "sk-ant-test-key-aaaaaaaaaaaaaaaaaaaaaa", "anthropic-a"}};
  }

  sim::Provider& sim(std::string_view name) { return *transport->find(name); }

  template <class... Policies>
  Governed<Sim, Clock, Policies...> governed() {
    return Governed<Sim, Clock, Policies...>(state, transport);
  }

  Clock clock;
  std::vector<std::shared_ptr<sim::Provider>> providers;
  std::shared_ptr<Sim> transport;
  std::shared_ptr<TestState> state;
};

inline Request ask(std::string provider, std::string model, std::string text = "Say hello in one word.") {
  Request r;
  r.provider = std::move(provider);
  r.model = std::move(model);
  r.messages = {{"user", std::move(text)}};
  r.max_tokens = 64;
  return r;
}

/// Requests the simulator answered with `outcome`.
inline std::size_t count(const std::vector<sim::LogEntry>& log, sim::Outcome outcome) {
  return static_cast<std::size_t>(
      std::count_if(log.begin(), log.end(), [&](const sim::LogEntry& e) { return e.outcome == outcome; }));
}

inline std::size_t count(const std::vector<Event>& events, EventKind kind) {
  std::size_t n = 0;
  for (const auto& e : events) n += e.kind == kind ? 1 : 0;
  return n;
}

}  // namespace governed::test

// A failed expectation on a call shows where it went or why it failed.
template <>
struct Catch::StringMaker<governed::Result<governed::Response>> {
  static std::string convert(const governed::Result<governed::Response>& r) {
    return r ? "ok: " + r->provider + " " + r->model : "error: " + r.error().message;
  }
};

// ---- exact walks: what reached the providers, when, and what the call said on the way ----

#include <governed/json_limits.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <utility>

namespace governed::test {

/// The event kinds of a call, in order.
inline std::vector<EventKind> kinds(const std::vector<Event>& events) {
  std::vector<EventKind> out;
  out.reserve(events.size());
  for (const auto& e : events) out.push_back(e.kind);
  return out;
}

/// The messages of the events of `kind`, in order.
inline std::vector<std::string> messages(const std::vector<Event>& events, EventKind kind) {
  std::vector<std::string> out;
  for (const auto& e : events)
    if (e.kind == kind) out.push_back(e.message);
  return out;
}

/// One request as a provider saw it: the model, and when, counted from the test's start.
struct Visit {
  std::string model;
  Duration at{};
  friend bool operator==(const Visit&, const Visit&) = default;
};

/// Every request in `log`, as (model, instant − `t0`).
inline std::vector<Visit> visits(const std::vector<sim::LogEntry>& log, Instant t0) {
  std::vector<Visit> out;
  out.reserve(log.size());
  for (const auto& e : log) out.push_back({e.model, e.at - t0});
  return out;
}

/// A real provider reply from the shared vectors (tests/data/provider_replies.jsonl, or the
/// folder in GOVERNED_VECTORS), by its `id`, to script on a simulated provider.
inline sim::ProviderReply recorded_reply(std::string_view id) {
  std::filesystem::path dir = std::filesystem::path(__FILE__).parent_path().parent_path() / "data";
  if (const char* env = std::getenv("GOVERNED_VECTORS"); env && *env) dir = env;
  std::ifstream in(dir / "provider_replies.jsonl");
  REQUIRE(in);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto j = parse_json(line, JsonLimits{}, "a reply vector");
    REQUIRE(j);
    if (j->value("id", std::string{}) != id) continue;
    sim::ProviderReply r{j->at("status").get<int>(), {}, j->at("body").get<std::string>(), {}};
    for (const auto& [name, value] : j->at("headers").items()) r.headers.emplace_back(name, value.get<std::string>());
    return r;
  }
  FAIL("no reply vector " << id);
  return {};
}

}  // namespace governed::test

template <>
struct Catch::StringMaker<governed::EventKind> {
  static std::string convert(governed::EventKind k) { return std::string(governed::to_string(k)); }
};
template <>
struct Catch::StringMaker<governed::test::Visit> {
  static std::string convert(const governed::test::Visit& v) {
    return v.model + " at " + std::to_string(std::chrono::duration<double>(v.at).count()) + " s";
  }
};
