// One set of rules for every way of configuring a State: a value refused in code is refused
// from the environment and from JSON for the same reason, each naming the setting its own way.
#include <governed/settings_check.hpp>

#include <governed/config.hpp>
#include <governed/state.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <string>

using namespace governed;

namespace {

Environment validate_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

/// A StateConfig `State::create` accepts as it stands, with no key-health file.
StateConfig validated_config() {
  StateConfig c;
  c.keys.keys = {{"openai", "sk-validate-test-key-00000000000000", "org-validate"}};
  c.keys.persist = false;
  return c;
}

std::string code_error(StateConfig c) {
  auto v = validate(c);
  auto st = State<>::create(std::move(c));
  REQUIRE_FALSE(v);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == Errc::invalid_argument);
  CHECK(st.error().message == v.error().message);  // State::create runs validate
  return st.error().message;
}

std::string env_error(std::map<std::string, std::string> vars) {
  auto c = from_env("OPENAI", {}, validate_env(std::move(vars)));
  REQUIRE_FALSE(c);
  CHECK(c.error().code == Errc::invalid_argument);
  return c.error().message;
}

std::string json_error_of(const std::string& doc) {
  auto c = from_json(doc, "governed.json", validate_env({}));
  REQUIRE_FALSE(c);
  CHECK(c.error().code == Errc::invalid_argument);
  return c.error().message;
}

}  // namespace

TEST_CASE("validate: a headroom of 1.5 is refused in code, from the environment and from JSON by one rule",
          "[config][validate]") {
  StateConfig code = validated_config();
  code.providers["openai"].headroom = 1.5;
  CHECK(code_error(code) == "openai: headroom must be in [0, 1)");
  CHECK(env_error({{"OPENAI_TPM_HEADROOM", "1.5"}}) == "OPENAI_TPM_HEADROOM: \"1.5\" must be in [0, 1)");
  CHECK(json_error_of(R"({"providers": {"openai": {"headroom": 1.5}}})") ==
        "governed.json: /providers/openai/headroom: must be in [0, 1)");
}

TEST_CASE("validate: the ranges the readers held, a program's StateConfig is held to as well", "[config][validate]") {
  StateConfig crowded = validated_config();
  crowded.providers["openai"].max_concurrency = 200000;
  CHECK(code_error(crowded) == "openai: max_concurrency must be at most 100000");
  CHECK(env_error({{"OPENAI_MAX_CONCURRENCY", "200000"}}) == "OPENAI_MAX_CONCURRENCY: \"200000\" must be at most 100000");

  StateConfig heavy = validated_config();
  heavy.keys.keys[0].weight = 2'000'000;
  CHECK(code_error(heavy) == "key 0 of the pool (openai): weight must be in [1, 1000000]");
  CHECK(json_error_of(R"({"keys": [{"provider": "openai", "key": "sk-validate-test-key-00000000000000",
                                    "weight": 2000000}]})") ==
        "governed.json: /keys/0/weight: must be in [1, 1000000]");

  StateConfig wandering = validated_config();
  wandering.max_fallbacks = 1001;
  CHECK(code_error(wandering) == "max_fallbacks must be at most 1000");

  StateConfig patient = validated_config();
  patient.calibration.min_samples = 2'000'000;
  CHECK(code_error(patient) == "calibration.min_samples must be in [1, 1000000]");
}

TEST_CASE("validate: a problem says which setting, whose, and why, for each reader to name", "[config][validate]") {
  StateConfig c = validated_config();
  c.providers["openai"].tier = "Tier1";
  auto p = first_problem(c);
  REQUIRE(p);
  CHECK(p->setting == Setting::tier);
  CHECK(p->provider == "openai");
  CHECK(p->value == "\"Tier1\"");
  CHECK(p->reason.rfind("is not a tier of openai in the provider table; known tiers: free, tier1", 0) == 0);

  StateConfig keyed = validated_config();
  keyed.keys.keys.push_back({"groq", "%67sk_not_a_key_0000000000000000000"});
  auto k = first_problem(keyed);
  REQUIRE(k);
  CHECK(k->setting == Setting::key);
  CHECK(k->key == 1);
  CHECK(k->provider == "groq");
  CHECK(code_message(*k).find("%67sk") == std::string::npos);
}

TEST_CASE("validate: the default configuration and a usable one break no rule", "[config][validate]") {
  CHECK_FALSE(first_problem(StateConfig{}));
  CHECK(validate(validated_config()));
  StateConfig full = validated_config();
  full.providers["openai"] = {.tier = "tier2", .rpm = 100, .max_concurrency = 100000, .headroom = 0};
  full.keys.keys[0].weight = 1'000'000;
  full.max_fallbacks = 1000;
  CHECK(validate(full));
}

TEST_CASE("validate: a JSON routing the table can not serve is refused when the file is read, naming /routing",
          "[config][validate]") {
  const std::string message = json_error_of(R"({"routing": {"scraper": ["openai/gpt-nope"]}})");
  CHECK(message == "governed.json: /routing: model routing: task scraper names openai/gpt-nope, which the provider "
                   "table does not have");
}

TEST_CASE("validate: the backoff's attempts are held to [1, 100] from the environment and from JSON",
          "[config][validate]") {
  CHECK(env_error({{"OPENAI_RETRY_MAX_ATTEMPTS", "0"}}) == "OPENAI_RETRY_MAX_ATTEMPTS: \"0\" must be in [1, 100]");
  CHECK(env_error({{"OPENAI_RETRY_MAX_ATTEMPTS", "101"}}) == "OPENAI_RETRY_MAX_ATTEMPTS: \"101\" must be in [1, 100]");
  CHECK(json_error_of(R"({"backoff": {"attempts": 4294967296}})") == "governed.json: /backoff/attempts: must be in [1, 100]");
}
