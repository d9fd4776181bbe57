// Configuration from the environment and from JSON: the documented variables land where
// they say, and a malformed value is an error naming its variable or JSON pointer.
#include <governed/config.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

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
      {R"({"providers": {"openia": {}}})",
       "governed.json: /providers/openia: the provider table has no such provider; known providers: anthropic, "
       "azure, deepseek, gemini, groq, mistral, openai, openai_compatible, openrouter"},
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

namespace {

/// A configuration that `State::create` accepts as it stands: no key-health file.
StateConfig config_without_file() {
  StateConfig c;
  c.keys.keys = {{"openai", "sk-config-test-key-0000000000000000", "org-config"}};
  c.keys.persist = false;
  return c;
}

/// A directory of its own under the system's temporary directory, removed at the end.
struct ScratchDir {
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "governed-config-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path path;
};

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("a tier name the table does not list is an error naming the known tiers, never 'no limits'",
          "[config][tier]") {
  auto env = from_env("OPENAI", {}, env_of({{"OPENAI_TIER", "Tier1"}}));
  REQUIRE_FALSE(env);
  CHECK(env.error().message ==
        "OPENAI_TIER: \"Tier1\" is not a tier of openai in the provider table; known tiers: free, tier1, tier2, tier3, "
        "tier4, tier5");
  // Groq publishes one tier only.
  auto groq = from_env("GROQ", {}, env_of({{"GROQ_TIER", "tier1"}}));
  REQUIRE_FALSE(groq);
  CHECK(groq.error().message.find("known tiers: free") != std::string::npos);
  // A provider whose limits the table does not publish has no tiers to choose from.
  auto azure = from_env("AZURE", {}, env_of({{"AZURE_TIER", "tier1"}}));
  REQUIRE_FALSE(azure);
  CHECK(azure.error().message.find("publishes none") != std::string::npos);

  auto json = from_json(R"({"providers": {"openai": {"tier": "tier 1"}}})", "governed.json", env_of({}));
  REQUIRE_FALSE(json);
  CHECK(json.error().message.rfind("governed.json: /providers/openai/tier: ", 0) == 0);
  CHECK(json.error().message.find("known tiers: free, tier1") != std::string::npos);

  StateConfig code = config_without_file();
  code.providers["openai"].tier = "Tier1";
  auto state = State<>::create(std::move(code));
  REQUIRE_FALSE(state);
  CHECK(state.error().code == Errc::invalid_argument);
  CHECK(state.error().message.find("known tiers: free, tier1") != std::string::npos);

  // The names the table does list are taken as they are.
  auto ok = from_env("OPENAI", {}, env_of({{"OPENAI_TIER", "tier2"}}));
  REQUIRE(ok);
  CHECK(ok->state.providers.at("openai").tier == "tier2");
}

TEST_CASE("a model the table lists no limits for on the tier is not offered rather than unlimited", "[config][tier]") {
  // An override adds a model without tiers to a provider that publishes them.
  auto table = providers::apply_override(
      providers::builtin_table(),
      R"({"providers": {"openai": {"models": {"gpt-new": {"context_window": 1000, "max_output_tokens": 100,
          "price": {"input": 1, "output": 1}, "as_of": "2025-01-01"}}}}})",
      "override.json");
  REQUIRE(table);
  StateConfig c = config_without_file();
  c.table = *table;
  c.providers["openai"].tier = "tier1";
  auto state = State<>::create(std::move(c));
  REQUIRE(state);
  const auto& t = (*state)->table();
  const auto& p = *t.provider("openai");
  CHECK_FALSE((*state)->offers(p, *t.model("openai", "gpt-new")));
  CHECK_FALSE((*state)->limit_set(p, *t.model("openai", "gpt-new"), "org-config"));
  REQUIRE((*state)->limit_config(p, *t.model("openai", "gpt-4o")));
  CHECK((*state)->limit_config(p, *t.model("openai", "gpt-4o"))->requests_per_minute == 500);

  // Limits of the user's own make it usable.
  StateConfig own = config_without_file();
  own.table = *table;
  own.providers["openai"] = {.tier = "tier1", .rpm = 60, .tpm = 10000};
  auto with_limits = State<>::create(std::move(own));
  REQUIRE(with_limits);
  const auto& t2 = (*with_limits)->table();
  auto limits = (*with_limits)->limit_config(*t2.provider("openai"), *t2.model("openai", "gpt-new"));
  REQUIRE(limits);
  CHECK(limits->requests_per_minute == 60);
  CHECK(limits->tokens_per_minute == 10000);
}

TEST_CASE("a limit of 0 is refused; \"unlimited\" says no limit", "[config][limits]") {
  for (const char* var : {"OPENAI_RPM_LIMIT", "OPENAI_TPM_LIMIT", "OPENAI_RPD_LIMIT", "OPENAI_TPD_LIMIT",
                          "OPENAI_ITPM_LIMIT", "OPENAI_OTPM_LIMIT"}) {
    auto zero = from_env("OPENAI", {}, env_of({{var, "0"}}));
    REQUIRE_FALSE(zero);
    CHECK(zero.error().message == std::string(var) + ": 0 would allow no call at all; write \"unlimited\" for no limit");
    auto none = from_env("OPENAI", {}, env_of({{var, "unlimited"}}));
    REQUIRE(none);
  }
  auto env = from_env("OPENAI", {}, env_of({{"OPENAI_TPM_LIMIT", "unlimited"}, {"OPENAI_RPM_LIMIT", "60"}}));
  REQUIRE(env);
  CHECK(env->state.providers.at("openai").tpm == 0u);  // "no limit" in code
  CHECK(env->state.providers.at("openai").rpm == 60u);

  for (const char* field : {"rpm", "tpm", "rpd", "tpd", "itpm", "otpm"}) {
    auto zero = from_json(fmt::format(R"({{"providers": {{"groq": {{"{}": 0}}}}}})", field), "governed.json", env_of({}));
    REQUIRE_FALSE(zero);
    CHECK(zero.error().message == fmt::format("governed.json: /providers/groq/{}: 0 would allow no call at all; write "
                                              "\"unlimited\" for no limit",
                                              field));
  }
  auto json = from_json(R"({"providers": {"groq": {"tpd": "unlimited", "rpm": 10}}})", "governed.json", env_of({}));
  REQUIRE(json);
  CHECK(json->state.providers.at("groq").tpd == 0u);
  CHECK(json->state.providers.at("groq").rpm == 10u);
  auto word = from_json(R"({"providers": {"groq": {"tpd": "none"}}})", "governed.json", env_of({}));
  REQUIRE_FALSE(word);
  CHECK(word.error().message ==
        "governed.json: /providers/groq/tpd: must be a positive whole number, or \"unlimited\"");
}

TEST_CASE("an out-of-range number or a deeply nested document is an error, never an abort", "[config][json]") {
  auto huge = from_json(R"({"seed": 1e309})", "governed.json", env_of({}));
  REQUIRE_FALSE(huge);
  CHECK(huge.error().code == Errc::parse_error);
  CHECK(huge.error().message == "governed.json: not valid JSON (a number out of range)");

  auto deep = from_json(std::string(100000, '['), "governed.json", env_of({}));
  REQUIRE_FALSE(deep);
  CHECK(deep.error().message == "governed.json nests deeper than the limit of 32 levels");

  auto large = from_json(R"({"seed": 1})", "governed.json", env_of({}), JsonLimits{.max_bytes = 4, .max_depth = 8});
  REQUIRE_FALSE(large);
  CHECK(large.error().message == "governed.json is 11 bytes, more than the limit of 4");

  // A depth inside the limit still reads.
  CHECK(from_json(R"({"providers": {"openai": {}}})", "governed.json", env_of({})));
}

TEST_CASE("from_json_file reads a regular file within the limit and refuses devices, FIFOs and large files",
          "[config][file]") {
  ScratchDir dir;
  const auto good = dir.path / "governed.json";
  write_file(good, R"({"providers": {"openai": {"max_concurrency": 2}}})");
  auto read = from_json_file(good, env_of({}));
  REQUIRE(read);
  CHECK(read->state.providers.at("openai").max_concurrency == 2);

  // A symbolic link to a configuration is followed: deployments often link a config path.
  std::filesystem::create_symlink(good, dir.path / "link.json");
  CHECK(from_json_file(dir.path / "link.json", env_of({})));

  auto zero = from_json_file("/dev/zero", env_of({}));
  REQUIRE_FALSE(zero);
  CHECK(zero.error().message == "cannot read /dev/zero: not a regular file");

  const auto fifo = dir.path / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto pipe = from_json_file(fifo, env_of({}));  // returns at once: nobody writes to it
  REQUIRE_FALSE(pipe);
  CHECK(pipe.error().message == "cannot read " + fifo.string() + ": not a regular file");

  auto directory = from_json_file(dir.path, env_of({}));
  REQUIRE_FALSE(directory);
  CHECK(directory.error().code == Errc::io_error);

  auto large = from_json_file(good, env_of({}), JsonLimits{.max_bytes = 10, .max_depth = 8});
  REQUIRE_FALSE(large);
  CHECK(large.error().message == "cannot read " + good.string() + ": larger than the limit of 10 bytes");

  auto missing = from_json_file(dir.path / "missing.json", env_of({}));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::io_error);
}

TEST_CASE("a key the redactor could not remove is refused wherever it is configured, without repeating it",
          "[config][keys]") {
  const std::map<std::string, std::string> bad_keys{
      {"short", "sk-12"},
      {"space", "sk-proj-abcdef ghijklmnop"},
      {"newline", "sk-proj-abcdef\nghijklmnop"},
      {"percent", "sk-proj-abc%2Fdefghijklmnop"},
      {"basic", "dXNlcjpwYXNzd29yZA=="},  // user:password
  };
  for (const auto& [why, key] : bad_keys) {
    INFO(why);
    REQUIRE(providers::key_problem(key));
    // In JSON, given directly and through a variable.
    const std::string doc = nlohmann::json{{"keys", {{{"provider", "openai"}, {"key", key}}}}}.dump();
    auto direct = from_json(doc, "governed.json", env_of({}));
    REQUIRE_FALSE(direct);
    CHECK(direct.error().message.rfind("governed.json: /keys/0/key: the key ", 0) == 0);
    CHECK(direct.error().message.find(key) == std::string::npos);
    auto via_env = from_json(R"({"keys": [{"provider": "openai", "key_env": "MY_KEY"}]})", "governed.json",
                             env_of({{"MY_KEY", key}}));
    REQUIRE_FALSE(via_env);
    CHECK(via_env.error().message.find(key) == std::string::npos);
    // In code.
    StateConfig code = config_without_file();
    code.keys.keys = {{"openai", key, "org-code"}};
    auto state = State<>::create(std::move(code));
    REQUIRE_FALSE(state);
    CHECK(state.error().message.rfind("key 0 of the pool (openai) ", 0) == 0);
    CHECK(state.error().message.find(key) == std::string::npos);
  }
  // In the environment a key is trimmed first: only what is left inside counts.
  auto env = from_env("OPENAI", {}, env_of({{"OPENAI_API_KEY", "sk-proj-abc%2Fdefghijklmnop"}}));
  REQUIRE_FALSE(env);
  CHECK(env.error().message == "OPENAI_API_KEY: the key is percent-encoded (%XX); give the key as the provider issued it");

  // The shapes providers issue are accepted.
  for (const char* real : {"sk-proj-Ab3dEf6hIj9kLmN0pQrStUvWxYz_1234567890-abcdEFGH",
                           "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdefghijklmnop-AA",
                           "gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghijklmnopqr",
                           "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "0123456789abcdef0123456789abcdef",
                           "Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56", "sk-or-v1-0123456789abcdef0123456789abcdef01234567"}) {
    INFO(real);
    CHECK_FALSE(providers::key_problem(real));
  }
}

TEST_CASE("a secret-shaped value in a variable that is not a key is not repeated in its error", "[config][redaction]") {
  const std::string secret = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx0123456789";
  for (const char* var : {"OPENAI_TPM_LIMIT", "OPENAI_MAX_CONCURRENCY", "OPENAI_TPM_HEADROOM", "OPENAI_TIER",
                          "OPENAI_BASE_URL", "OPENAI_STAGGER_SECONDS", "GOVERNED_STATE_FILE"}) {
    INFO(var);
    auto c = from_env("OPENAI", {}, env_of({{var, var == std::string("GOVERNED_STATE_FILE") ? "\n" + secret : secret}}));
    REQUIRE_FALSE(c);
    CHECK(c.error().message.rfind(var, 0) == 0);
    CHECK(c.error().message.find("AbCdEfGh") == std::string::npos);
  }
  // A short plain value is shown, so a typo can be seen.
  CHECK(from_env("OPENAI", {}, env_of({{"OPENAI_MAX_CONCURRENCY", "three"}})).error().message ==
        "OPENAI_MAX_CONCURRENCY: \"three\" is not a whole number");
  // A JSON name in the wrong place is redacted like any text.
  auto json = from_json(R"({"providers": {"openai": {"sk-proj-AbCdEfGhIjKlMnOpQrStUvWx0123456789": 1}}})",
                        "governed.json", env_of({}));
  REQUIRE_FALSE(json);
  CHECK(json.error().message.find("AbCdEfGh") == std::string::npos);
  auto control = from_json("{\"tasks\": {\"calls\": {\"scra\\nper\": -1}}}", "governed.json", env_of({}));
  REQUIRE_FALSE(control);
  CHECK(control.error().message == "governed.json: /tasks/calls/scra?per: must be a whole number, 0 or more");
  auto routed = from_json("{\"routing\": {\"line\\nbreak\": 5}}", "governed.json", env_of({}));
  REQUIRE_FALSE(routed);
  CHECK(routed.error().message.find('\n') == std::string::npos);
}

TEST_CASE("a base URL with user:password is refused without showing the password", "[config][url]") {
  const std::string url = "https://user:hunter2secret@proxy.example.com/v1";
  auto env = from_env("OPENAI", {}, env_of({{"OPENAI_BASE_URL", url}}));
  REQUIRE_FALSE(env);
  CHECK(env.error().message ==
        "OPENAI_BASE_URL: a base URL carries no user name or password (…@host): give the key as a key");

  auto json = from_json(R"({"providers": {"openai": {"base_url": "https://user:hunter2secret@proxy.example.com/v1"}}})",
                        "governed.json", env_of({}));
  REQUIRE_FALSE(json);
  CHECK(json.error().message.find("hunter2") == std::string::npos);
  CHECK(json.error().message.rfind("governed.json: /providers/openai/base_url: ", 0) == 0);

  StateConfig code = config_without_file();
  code.providers["openai"].base_url = url;
  auto state = State<>::create(std::move(code));
  REQUIRE_FALSE(state);
  CHECK(state.error().message.find("hunter2") == std::string::npos);

  for (const char* bad : {"ftp://x", "https://", "https://host/a b", "http://a@b"}) {
    INFO(bad);
    CHECK_FALSE(from_env("OPENAI", {}, env_of({{"OPENAI_BASE_URL", bad}})));
  }
  // An '@' after the host is the path's, not a credential.
  for (const char* good : {"https://proxy.example.com/v1", "http://127.0.0.1:8000/v1", "https://h/v1/@models"}) {
    INFO(good);
    CHECK(from_env("OPENAI", {}, env_of({{"OPENAI_BASE_URL", good}})));
  }
}

TEST_CASE("a base URL with a key in its query or with a fragment is refused without showing it; api-version is kept",
          "[config][url]") {
  const std::string key = "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q";
  const std::string url = "https://generativelanguage.googleapis.com/v1beta?key=" + key;
  const std::string in_query = "a base URL carries no key in its query (?key=…): give the key as a key";
  auto env = from_env("GEMINI", {}, env_of({{"GEMINI_BASE_URL", url}}));
  REQUIRE_FALSE(env);
  CHECK(env.error().message == "GEMINI_BASE_URL: " + in_query);

  auto json = from_json(nlohmann::json{{"providers", {{"gemini", {{"base_url", url}}}}}}.dump(), "governed.json",
                        env_of({}));
  REQUIRE_FALSE(json);
  CHECK(json.error().message == "governed.json: /providers/gemini/base_url: " + in_query);

  StateConfig code = config_without_file();
  code.providers["gemini"].base_url = url;
  auto state = State<>::create(std::move(code));
  REQUIRE_FALSE(state);
  CHECK(state.error().message == "gemini: " + in_query);

  // Any parameter named as a credential, or holding a secret-shaped value; a fragment.
  for (const std::string& bad : std::vector<std::string>{"https://h/v1?api_key=abc123", "https://h/v1?x=1&Access_Token=abc",
                                                         "https://h/v1?token", "https://h/v1?v=" + key,
                                                         "https://h/v1#" + key}) {
    INFO(bad);
    auto r = from_env("OPENAI", {}, env_of({{"OPENAI_BASE_URL", bad}}));
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("abc") == std::string::npos);
    CHECK(r.error().message.find(key) == std::string::npos);
  }
  CHECK(from_env("OPENAI", {}, env_of({{"OPENAI_BASE_URL", "https://h/v1#x"}})).error().message ==
        "OPENAI_BASE_URL: a base URL has no fragment (#…): nothing after '#' reaches the server");
  // Azure's pinned api-version, and other plain parameters, are a base URL's to carry.
  for (const char* good : {"https://res.openai.azure.com/openai?api-version=2025-01-01-preview",
                           "https://proxy.example.com/v1?region=eu&keyless=1"}) {
    INFO(good);
    CHECK(from_env("OPENAI", {}, env_of({{"OPENAI_BASE_URL", good}})));
  }
}

TEST_CASE("settings for a provider the table does not have name it only when it can not be a secret",
          "[config][redaction]") {
  const std::string secret = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx0123456789";
  StateConfig pasted = config_without_file();
  pasted.providers[secret].tier = "free";
  auto state = State<>::create(std::move(pasted));
  REQUIRE_FALSE(state);
  CHECK(state.error().message == "settings name provider ?, which the table does not have");
  // A typo is shown, so it can be seen.
  StateConfig typo = config_without_file();
  typo.providers["opneai"].tier = "free";
  CHECK(State<>::create(std::move(typo)).error().message ==
        "settings name provider opneai, which the table does not have");
}

TEST_CASE("a task budget of 2^63 or more is refused instead of wrapping to -1", "[config][tasks]") {
  auto over = from_json(R"({"tasks": {"calls": {"scraper": 9223372036854775808}}})", "governed.json", env_of({}));
  REQUIRE_FALSE(over);
  CHECK(over.error().message == "governed.json: /tasks/calls/scraper: must be at most 1000000000000000");
  CHECK_FALSE(from_json(R"({"tasks": {"default_tokens": 18446744073709551615}})", "governed.json", env_of({})));
  auto most = from_json(R"({"tasks": {"default_calls": 1000000000000000}})", "governed.json", env_of({}));
  REQUIRE(most);
  CHECK(most->state.tasks.default_calls == max_task_budget);

  StateConfig code = config_without_file();
  code.tasks.calls_by_kind["scraper"] = -1;
  auto state = State<>::create(std::move(code));
  REQUIRE_FALSE(state);
  CHECK(state.error().message == "the call budget of task kind scraper must be in [0, 1000000000000000]");
}

TEST_CASE("the key-health file is moved or turned off from the environment and from JSON", "[config][persistence]") {
  auto moved = from_env("OPENAI", {}, env_of({{"GOVERNED_STATE_FILE", "/var/lib/app/key-health.json"}}));
  REQUIRE(moved);
  CHECK(moved->state.keys.persist);
  CHECK(moved->state.keys.state_file == std::filesystem::path("/var/lib/app/key-health.json"));

  auto off = from_env("GROQ", {}, env_of({{"GOVERNED_STATE_FILE", "off"}}));
  REQUIRE(off);
  CHECK_FALSE(off->state.keys.persist);

  auto empty = from_env("GROQ", {}, env_of({{"GOVERNED_STATE_FILE", ""}}));
  REQUIRE_FALSE(empty);
  CHECK(empty.error().message ==
        "GOVERNED_STATE_FILE: is empty; give a path, or \"off\" to keep key health in memory only");

  auto json = from_json(R"({"state_file": "off"})", "governed.json", env_of({}));
  REQUIRE(json);
  CHECK_FALSE(json->state.keys.persist);
  auto path = from_json(R"({"state_file": "health.json"})", "governed.json", env_of({}));
  REQUIRE(path);
  CHECK(path->state.keys.persist);
  CHECK(path->state.keys.state_file == std::filesystem::path("health.json"));
  CHECK(from_json(R"({"state_file": 1})", "governed.json", env_of({})).error().message ==
        "governed.json: /state_file: must be a path, or \"off\"");
  // Unset: the default file.
  auto unset = from_env("OPENAI", {}, env_of({}));
  REQUIRE(unset);
  CHECK(unset->state.keys.persist);
  CHECK_FALSE(unset->state.keys.state_file);
}

// ---- the walk's caps, calibration, the circuit breaker and the alerts --------------------

namespace {

/// The error of reading `doc` as governed.json; empty when it was read.
std::string json_error(const std::string& doc) {
  auto c = from_json(doc, "governed.json", env_of({}));
  return c ? std::string{} : c.error().message;
}

}  // namespace

TEST_CASE("a JSON configuration sets the walk's caps, calibration, the circuit breaker and the alerts",
          "[config][json]") {
  auto c = from_json(R"({
    "max_total_wait_seconds": 20, "max_fallbacks": 2,
    "calibration": {"enabled": false, "quantile": 0.75, "window": 64, "min_samples": 4},
    "breaker": {"enabled": true, "failures": 5, "window_seconds": 120, "cool_off_seconds": 45},
    "alerts": {"rate_limits": {"enabled": false, "above": 10, "window_seconds": 30},
               "error_rate": {"enabled": true, "above": 0.5, "window_seconds": 600, "min_calls": 40},
               "spend_spike": {"enabled": false, "factor": 4, "min_usd": 2.5}}
  })",
                     "governed.json", env_of({}));
  REQUIRE(c);
  const StateConfig& s = c->state;
  CHECK(s.max_total_wait == 20s);
  CHECK(s.max_fallbacks == std::optional<std::uint32_t>(2));
  CHECK_FALSE(s.calibrate);
  CHECK(s.calibration.quantile == 0.75);
  CHECK(s.calibration.window == 64u);
  CHECK(s.calibration.min_samples == 4u);
  CHECK(s.breaker.enabled);
  CHECK(s.breaker.failures == 5u);
  CHECK(s.breaker.window == 120s);
  CHECK(s.breaker.cool_off == 45s);
  CHECK_FALSE(s.alerts.rate_limits.enabled);
  CHECK(s.alerts.rate_limits.above == 10u);
  CHECK(s.alerts.rate_limits.window == 30s);
  CHECK(s.alerts.error_rate.enabled);
  CHECK(s.alerts.error_rate.above == 0.5);
  CHECK(s.alerts.error_rate.window == 600s);
  CHECK(s.alerts.error_rate.min_calls == 40u);
  CHECK_FALSE(s.alerts.spend_spike.enabled);
  CHECK(s.alerts.spend_spike.factor == 4.0);
  CHECK(s.alerts.spend_spike.min_usd == 2.5);

  // What is left out keeps its default.
  auto partial = from_json(R"({"breaker": {"failures": 2}, "alerts": {"error_rate": {"min_calls": 5}}})",
                           "governed.json", env_of({}));
  REQUIRE(partial);
  CHECK(partial->state.breaker.failures == 2u);
  CHECK(partial->state.breaker.window == BreakerConfig{}.window);
  CHECK(partial->state.alerts.error_rate.min_calls == 5u);
  CHECK(partial->state.alerts.error_rate.above == ErrorRateAlertConfig{}.above);
  CHECK_FALSE(partial->state.max_fallbacks);
  CHECK(partial->state.calibrate);
}

TEST_CASE("a bad value for the caps, calibration, breaker or alerts is refused naming its JSON pointer",
          "[config][json]") {
  const std::map<std::string, std::string> cases{
      {R"({"max_total_wait_seconds": -1})", "governed.json: /max_total_wait_seconds: must be in [0, 86400]"},
      {R"({"max_fallbacks": 1001})", "governed.json: /max_fallbacks: must be at most 1000"},
      {R"({"max_fallbacks": "two"})", "governed.json: /max_fallbacks: must be a whole number, 0 or more"},
      {R"({"calibration": {"enabled": 1}})", "governed.json: /calibration/enabled: must be true or false"},
      {R"({"calibration": {"quantile": 0.4}})", "governed.json: /calibration/quantile: must be in [0.5, 1]"},
      {R"({"calibration": {"window": 129}})", "governed.json: /calibration/window: must be in [1, 128] replies"},
      {R"({"calibration": {"min_samples": 0}})", "governed.json: /calibration/min_samples: must be in [1, 1000000]"},
      {R"({"breaker": {"failures": 0}})", "governed.json: /breaker/failures: breaker: failures must be between 1 and 1000, not 0"},
      {R"({"breaker": {"failures": 4294967296}})",
       "governed.json: /breaker/failures: breaker: failures must be between 1 and 1000, not 4294967295"},
      {R"({"breaker": {"window_seconds": 0}})",
       "governed.json: /breaker/window_seconds: breaker: window must be longer than 0 and at most 24 hours, not 0 ms"},
      {R"({"breaker": {"cool_off_seconds": 90000}})",
       "governed.json: /breaker/cool_off_seconds: breaker: cool_off must be longer than 0 and at most 24 hours, not "
       "90000000 ms"},
      {R"({"breaker": {"enabled": "yes"}})", "governed.json: /breaker/enabled: must be true or false"},
      {R"({"alerts": {"rate_limits": {"above": 1001}}})",
       "governed.json: /alerts/rate_limits/above: alerts: rate_limits.above must be at most 1000 429s, not 1001"},
      {R"({"alerts": {"error_rate": {"above": 1}}})",
       "governed.json: /alerts/error_rate/above: alerts: error_rate.above must be a share in [0, 1) (0.2 is 20 %), "
       "not 1"},
      {R"({"alerts": {"error_rate": {"window_seconds": 10}}})",
       "governed.json: /alerts/error_rate/window_seconds: alerts: error_rate.window must be between 30 seconds and 24 "
       "hours, not 10000 ms"},
      {R"({"alerts": {"error_rate": {"min_calls": 0}}})",
       "governed.json: /alerts/error_rate/min_calls: alerts: error_rate.min_calls must be between 1 and 1000000, not 0"},
      {R"({"alerts": {"spend_spike": {"factor": 0}}})",
       "governed.json: /alerts/spend_spike/factor: alerts: spend_spike.factor must be above 0 and at most 1000, not 0"},
      {R"({"alerts": {"spend_spike": {"min_usd": -1}}})",
       "governed.json: /alerts/spend_spike/min_usd: alerts: spend_spike.min_usd must be between 0 and 100000, not -1"},
      {R"({"alerts": {"spend_spike": {"enabled": null}}})",
       "governed.json: /alerts/spend_spike/enabled: must be true or false"},
      {R"({"alerts": {"rate_limits": []}})", "governed.json: /alerts/rate_limits: must be an object"},
  };
  for (const auto& [doc, message] : cases) {
    INFO(doc);
    CHECK(json_error(doc) == message);
  }
}

TEST_CASE("an unknown key among the caps, calibration, breaker or alerts is refused, never ignored", "[config][json]") {
  const std::map<std::string, std::string> cases{
      {R"({"max_fallback": 2})", "governed.json: /max_fallback: unknown field"},
      {R"({"calibration": {"quantil": 0.9}})", "governed.json: /calibration/quantil: unknown field"},
      {R"({"breaker": {"cooloff_seconds": 30}})", "governed.json: /breaker/cooloff_seconds: unknown field"},
      {R"({"alerts": {"rate_limit": {}}})", "governed.json: /alerts/rate_limit: unknown field"},
      {R"({"alerts": {"error_rate": {"window": 60}}})", "governed.json: /alerts/error_rate/window: unknown field"},
      {R"({"alerts": {"spend_spike": {"min": 1}}})", "governed.json: /alerts/spend_spike/min: unknown field"},
  };
  for (const auto& [doc, message] : cases) {
    INFO(doc);
    CHECK(json_error(doc) == message);
  }
}
