// A provider that takes no key (a local server) is configured keyless, with no key: in code,
// from the environment and from JSON. Keyless and keys together are refused.
#include <governed/config.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <string>

using namespace governed;

namespace {

Environment keyless_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const std::string keyless_test_key = "sk-keyless-test-key-000000000000";

}  // namespace

TEST_CASE("PREFIX_KEYLESS=true configures a provider with no key, and State::create accepts it", "[config][keyless]") {
  auto c = from_env("LOCAL", "openai_compatible",
                    keyless_env({{"LOCAL_KEYLESS", "true"},
                                 {"LOCAL_BASE_URL", "http://127.0.0.1:8000/v1"},
                                 {"GOVERNED_STATE_FILE", "off"}}));
  REQUIRE(c);
  CHECK(c->state.providers.at("openai_compatible").keyless);
  CHECK(c->state.keys.keys.empty());

  auto state = State<>::create(std::move(c->state));
  REQUIRE(state);
  const auto entries = (*state)->keys().indices("openai_compatible");
  REQUIRE(entries.size() == 1);
  CHECK((*state)->keys().keyless(entries.front()));
  CHECK((*state)->keys().secret(entries.front()).empty());

  // "false" is the default spelled out; anything else is an error naming the variable.
  auto off = from_env("LOCAL", "openai_compatible", keyless_env({{"LOCAL_KEYLESS", "false"}}));
  REQUIRE(off);
  CHECK_FALSE(off->state.providers.at("openai_compatible").keyless);
  auto yes = from_env("LOCAL", "openai_compatible", keyless_env({{"LOCAL_KEYLESS", "yes"}}));
  REQUIRE_FALSE(yes);
  CHECK(yes.error().message == "LOCAL_KEYLESS: \"yes\" is not true or false");
}

TEST_CASE("a keyless provider given a key as well is refused, without showing the key", "[config][keyless]") {
  auto env = from_env("LOCAL", "openai_compatible",
                      keyless_env({{"LOCAL_KEYLESS", "true"}, {"LOCAL_API_KEY", keyless_test_key}}));
  REQUIRE_FALSE(env);
  CHECK(env.error().message ==
        "LOCAL_KEYLESS: openai_compatible is keyless, so it takes no key, yet a key is configured for it; remove the "
        "key or the keyless setting");

  auto json = from_json(R"({"providers": {"openai_compatible": {"keyless": true}},
                            "keys": [{"provider": "openai_compatible", "key": ")" +
                            keyless_test_key + R"("}]})",
                        "governed.json", keyless_env({}));
  REQUIRE_FALSE(json);
  CHECK_THAT(json.error().message, Catch::Contains("/keys/0/provider"));
  CHECK_THAT(json.error().message,
             Catch::Contains("openai_compatible is keyless (/providers/openai_compatible/keyless), so it takes no "
                             "key; remove the key or the keyless setting"));
  CHECK(json.error().message.find(keyless_test_key) == std::string::npos);

  // In code, the State refuses the same.
  StateConfig code;
  code.keys.persist = false;
  code.providers["openai_compatible"].keyless = true;
  code.keys.keys = {{"openai_compatible", keyless_test_key}};
  auto state = State<>::create(std::move(code));
  REQUIRE_FALSE(state);
  CHECK_THAT(state.error().message, Catch::Contains("provider openai_compatible is configured keyless, yet key 0"));
  CHECK(state.error().message.find(keyless_test_key) == std::string::npos);
}

TEST_CASE("\"keyless\": true in a JSON configuration needs no key, and must be a boolean", "[config][keyless]") {
  auto c = from_json(R"({"providers": {"openai_compatible": {"keyless": true, "base_url": "http://127.0.0.1:11434/v1"}},
                         "state_file": "off"})",
                     "governed.json", keyless_env({}));
  REQUIRE(c);
  CHECK(c->state.providers.at("openai_compatible").keyless);
  CHECK(State<>::create(std::move(c->state)));

  auto word = from_json(R"({"providers": {"openai_compatible": {"keyless": "yes"}}})", "governed.json", keyless_env({}));
  REQUIRE_FALSE(word);
  CHECK_THAT(word.error().message, Catch::Contains("/providers/openai_compatible/keyless"));
  CHECK_THAT(word.error().message, Catch::Contains("must be true or false"));
}

TEST_CASE("a key too short to redact is refused with the keyless way, not a placeholder", "[config][keyless]") {
  auto c = from_env("OPENAI", {}, keyless_env({{"OPENAI_API_KEY", "none"}}));
  REQUIRE_FALSE(c);
  CHECK(c.error().message ==
        "OPENAI_API_KEY: the key is shorter than 6 characters, too short to be kept out of messages (for a server "
        "that takes no key, set its provider keyless and give no key)");
  CHECK(c.error().message.find("placeholder") == std::string::npos);

  // With neither keys nor a keyless provider, State::create says how to configure one.
  StateConfig none;
  none.keys.persist = false;
  auto state = State<>::create(std::move(none));
  REQUIRE_FALSE(state);
  CHECK(state.error().message == "the key pool has no keys; a provider that takes no key is configured keyless");
}

TEST_CASE("a model without published limits says so, and that an rpm or tpm setting makes it usable",
          "[config][tier]") {
  // An override adds a model without tiers to a provider that publishes them.
  auto table = providers::apply_override(
      providers::builtin_table(),
      R"({"providers": {"openai": {"models": {"gpt-unpublished": {"context_window": 1000, "max_output_tokens": 100,
          "price": {"input": 1, "output": 1}, "as_of": "2025-01-01"}}}}})",
      "override.json");
  REQUIRE(table);
  for (const std::string tier : {"", "tier1"}) {
    StateConfig c;
    c.keys.persist = false;
    c.keys.keys = {{"openai", keyless_test_key, "org-config"}};
    c.table = *table;
    c.providers["openai"].tier = tier;
    auto state = State<>::create(std::move(c));
    REQUIRE(state);
    const auto& t = (*state)->table();
    const auto& p = *t.provider("openai");
    const auto& m = *t.model("openai", "gpt-unpublished");
    const std::string where = tier.empty() ? "any of its tiers" : "tier tier1";
    const std::string why = "the provider table publishes no limits for OpenAI gpt-unpublished on " + where +
                            "; an rpm or tpm setting for openai (or itpm, otpm) makes it usable";
    CHECK((*state)->not_offered_reason(p, m) == why);
    auto set = (*state)->limit_set(p, m, "org-config");
    REQUIRE_FALSE(set);
    CHECK(set.error().message == why);
  }
}
