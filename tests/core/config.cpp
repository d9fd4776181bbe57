// Configuration from the environment and from JSON: the documented variables land where
// they say, and a malformed value is an error naming its variable or JSON pointer.
#include <governed/config.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <string>

using namespace governed;
using namespace std::chrono_literals;

namespace {

Environment env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("from_env reads the original application's OPENAI_ variables", "[config]") {
  auto c = from_env("OPENAI", {},
                    env_of({{"OPENAI_MAX_CONCURRENCY", "3"},
                            {"OPENAI_STAGGER_SECONDS", "15"},
                            {"OPENAI_TPM_LIMIT", "30000"},
                            {"OPENAI_TPM_HEADROOM", "0.15"},
                            {"OPENAI_EST_TOKENS_PER_RUN", "7000"},
                            {"OPENAI_RETRY_MAX_ATTEMPTS", "5"},
                            {"OPENAI_BACKOFF_BASE_SECONDS", "2"},
                            {"OPENAI_API_KEY", "sk-first-key-0000000000000000"},
                            {"OPENAI_API_KEY_2", "sk-second-key-000000000000000"},
                            {"OPENAI_ACCOUNT_2", "org-b"}}));
  REQUIRE(c);
  const ProviderSettings& s = c->state.providers.at("openai");
  CHECK(s.max_concurrency == 3);
  CHECK(s.stagger == 15s);
  CHECK(s.tpm == 30000u);
  CHECK(s.headroom == Approx(0.15));
  CHECK(s.est_tokens_per_call == 7000);
  CHECK(c->backoff.attempts == 5);
  CHECK(c->backoff.base == 2s);
  REQUIRE(c->state.keys.keys.size() == 2);
  CHECK(c->state.keys.keys[0].provider == "openai");
  CHECK(c->state.keys.keys[0].account.empty());
  CHECK(c->state.keys.keys[1].key == "sk-second-key-000000000000000");
  CHECK(c->state.keys.keys[1].account == "org-b");
}

TEST_CASE("a malformed variable is an error naming it, and the key's value never appears", "[config]") {
  for (const auto& [name, value] : std::map<std::string, std::string>{{"OPENAI_MAX_CONCURRENCY", "three"},
                                                                      {"OPENAI_TPM_HEADROOM", "1.5"},
                                                                      {"OPENAI_TPM_LIMIT", "-4"},
                                                                      {"OPENAI_STAGGER_SECONDS", "15s"},
                                                                      {"OPENAI_RETRY_MAX_ATTEMPTS", "0"},
                                                                      {"OPENAI_BASE_URL", "ftp://x"}}) {
    auto c = from_env("OPENAI", {}, env_of({{name, value}}));
    REQUIRE_FALSE(c);
    CHECK(c.error().code == Errc::invalid_argument);
    CHECK(c.error().message.find(name) != std::string::npos);
  }
  auto k = from_env("OPENAI", {}, env_of({{"OPENAI_API_KEY", "sk-secret value with space"}}));
  REQUIRE_FALSE(k);
  CHECK(k.error().message.find("OPENAI_API_KEY") != std::string::npos);
  CHECK(k.error().message.find("secret") == std::string::npos);
}

TEST_CASE("apply_env leaves the configuration untouched on an error", "[config]") {
  Configuration c;
  c.state.providers["groq"].max_concurrency = 9;
  auto r = apply_env(c, "GROQ", {}, env_of({{"GROQ_MAX_CONCURRENCY", "2"}, {"GROQ_TPM_HEADROOM", "x"}}));
  REQUIRE_FALSE(r);
  CHECK(c.state.providers.at("groq").max_concurrency == 9);
  CHECK(from_env("NOPE", {}, env_of({})).error().message.find("nope") != std::string::npos);
}

TEST_CASE("a JSON configuration file sets providers, keys, tasks, spend, cache and backoff", "[config]") {
  const char* text = R"({
    // comments are allowed
    "providers": {"openai": {"tier": "tier2", "tpm": 30000, "headroom": 0.15, "max_concurrency": 3,
                             "stagger_seconds": 15, "est_tokens_per_call": 7000}},
    "keys": [{"provider": "openai", "key_env": "MY_KEY", "account": "org-a", "weight": 2}],
    "tasks": {"calls": {"scraper": 50}, "default_calls": 10},
    "spend": {"daily_usd": 10, "alert_at": [0.5, 0.8], "at_limit": "downgrade"},
    "cache": {"ttl_seconds": 30, "max_entries": 64},
    "routing": {"scraper": ["openai/gpt-4o-mini"]},
    "backoff": {"base_seconds": 1, "attempts": 3}
  })";
  auto c = from_json(text, "governed.json", env_of({{"MY_KEY", "sk-from-env-000000000000000000"}}));
  REQUIRE(c);
  CHECK(c->state.providers.at("openai").tier == "tier2");
  CHECK(c->state.providers.at("openai").stagger == 15s);
  REQUIRE(c->state.keys.keys.size() == 1);
  CHECK(c->state.keys.keys[0].key == "sk-from-env-000000000000000000");
  CHECK(c->state.keys.keys[0].weight == 2);
  CHECK(c->state.tasks.calls_by_kind.at("scraper") == 50);
  CHECK(c->state.tasks.default_calls == 10);
  REQUIRE(c->state.spend);
  CHECK(c->state.spend->at_limit == AtLimit::downgrade);
  CHECK(c->state.spend->alert_at.size() == 2);
  CHECK(c->state.cache.max_entries == 64);
  CHECK(c->state.routing.chain("scraper").size() == 1);
  CHECK(c->backoff.attempts == 3);
  CHECK(c->backoff.base == 1s);
}

TEST_CASE("a bad JSON configuration names the file and the line or the field", "[config]") {
  auto syntax = from_json("{\n\"providers\": {\n  \"openai\": {,}\n}}", "governed.json");
  REQUIRE_FALSE(syntax);
  CHECK(syntax.error().code == Errc::parse_error);
  CHECK(syntax.error().message == "governed.json: line 3: not valid JSON");

  const std::map<std::string, std::string> cases{
      {R"({"providers": {"openai": {"headroom": 2}}})", "governed.json: /providers/openai/headroom: must be in [0, 1)"},
      {R"({"providers": {"openia": {}}})", "governed.json: /providers/openia: the provider table has no such provider"},
      {R"({"providers": {"openai": {"rpn": 5}}})", "governed.json: /providers/openai/rpn: unknown field"},
      {R"({"keys": [{"provider": "openai"}]})",
       "governed.json: /keys/0: give exactly one of key and key_env (an environment variable holding the key)"},
      {R"({"spend": {"at_limit": "panic"}})", "governed.json: /spend/at_limit: must be \"refuse\" or \"downgrade\""},
      {R"({"backoff": {"attempts": 0}})", "governed.json: /backoff/attempts: must be in [1, 100]"},
  };
  for (const auto& [doc, message] : cases) {
    auto c = from_json(doc, "governed.json", env_of({}));
    REQUIRE_FALSE(c);
    CHECK(c.error().message == message);
  }
}
