// A provider that takes no key — a local OpenAI-compatible server — is called with no key,
// its limits kept per (provider, "" account, model group); a provider that needs a key and
// has none is still skipped with its reason. And a model the table publishes no limits for
// says so, and how to make it usable.
#include "world.hpp"

#include <catch2/catch.hpp>

using namespace governed;
using namespace governed::test;
using namespace std::chrono_literals;

namespace {

/// The built-in table with one model served by the local OpenAI-compatible server.
providers::Table table_with_local_model() {
  return providers::apply_override(
             providers::builtin_table(),
             R"({"providers": {"openai_compatible": {"models": {"local-model": {"context_window": 8192,
                 "max_output_tokens": 1024, "price": {"input": 0, "output": 0}, "as_of": "2025-01-01"}}}}})",
             "local.json")
      .value();
}

sim::ProviderReply local_success() {
  return sim::ProviderReply{200, {},
                    R"({"choices":[{"index":0,"message":{"role":"assistant","content":"Hello"}}],)"
                    R"("usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}})",
                    {}};
}

sim::ProviderReply local_unauthorized() {
  return sim::ProviderReply{401, {},
                    R"({"error":{"message":"Incorrect API key provided.","type":"invalid_request_error",)"
                    R"("param":null,"code":"invalid_api_key"}})",
                    {}};
}

/// A local server with no keys beside the default simulated providers. The simulator has no
/// keyless mode, so each test scripts the local server's replies (a scripted reply is given
/// whatever key comes with the call).
struct LocalWorld {
  explicit LocalWorld(std::uint64_t rpm = 0)
      : w({{"groq", "gsk_test_groq_key_aaaaaaaaaaaaaaaaaaaa", "groq-org-a"}}, config(rpm)) {}

  static StateConfig config(std::uint64_t rpm) {
    StateConfig c;
    c.table = table_with_local_model();
    c.providers["openai_compatible"] = {.rpm = rpm == 0 ? std::nullopt : std::optional<std::uint64_t>(rpm),
                                        .headroom = 0.0,
                                        .base_url = "http://127.0.0.1:8000/v1",
                                        .keyless = true};
    return c;
  }

  sim::Provider& local() {
    if (!local_) {
      sim::Config c;
      c.provider = "openai_compatible";
      c.table = &w.state->table();
      local_ = sim::Provider::create(std::move(c)).value();
      std::vector<std::shared_ptr<sim::Provider>> all = w.providers;
      all.push_back(local_);
      w.transport = std::make_shared<Sim>(w.clock, all);
    }
    return *local_;
  }

  World w;
  std::shared_ptr<sim::Provider> local_;
};

}  // namespace

TEST_CASE("a keyless provider is called with no key, its limits kept for the \"\" account", "[governed][keyless]") {
  LocalWorld lw(2);
  sim::Provider& local = lw.local();
  for (int i = 0; i < 3; ++i) local.push_reply("local-model", local_success());
  auto g = lw.w.governed<fallback::none>();

  const Instant t0 = lw.w.clock.now();
  for (int i = 0; i < 3; ++i) {
    auto r = g.send(ask("openai_compatible", "local-model"));
    REQUIRE(r);
    CHECK(r->provider == "openai_compatible");
    CHECK(r->content == "Hello");
    CHECK(r->key_fingerprint == keys::keyless_fingerprint);
  }
  // The server saw three calls, none with a key it knows of.
  const auto log = local.log();
  REQUIRE(log.size() == 3);
  for (const auto& e : log) CHECK_FALSE(e.key_index);

  // The limit set is the provider's with account "": two a minute held the third call back.
  const auto& t = lw.w.state->table();
  const auto* set = lw.w.state->find_limit_set(*t.provider("openai_compatible"), *t.model("openai_compatible", "local-model"), "");
  REQUIRE(set);
  CHECK(log[2].at - t0 >= 30s);
}

TEST_CASE("a keyless provider whose server wants a key is skipped with that reason", "[governed][keyless]") {
  LocalWorld lw;
  lw.local().push_reply("local-model", local_unauthorized());
  auto g = lw.w.governed<fallback::none>();

  auto r = g.send(ask("openai_compatible", "local-model"));
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message,
             Catch::Contains("OpenAI-compatible refused a call without a key: the server takes one; configure "
                             "openai_compatible with its key instead of keyless"));
  CHECK(lw.local().log().size() == 1);
}

TEST_CASE("a provider that needs a key and has none is still skipped as before, beside a keyless one",
          "[governed][keyless]") {
  LocalWorld lw;
  auto g = lw.w.governed<fallback::none>();
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("no OPENAI key is configured"));
  CHECK(lw.w.sim("openai").log().empty());
}

TEST_CASE("a model the table publishes no limits for is skipped saying so, never 'not offered on tier '",
          "[governed][tier]") {
  StateConfig c;
  c.table = providers::apply_override(
                providers::builtin_table(),
                R"({"providers": {"openai": {"models": {"gpt-unpublished": {"context_window": 8192,
                    "max_output_tokens": 1024, "price": {"input": 1, "output": 1}, "as_of": "2025-01-01"}}}}})",
                "override.json")
                .value();
  World w(World::default_keys(), std::move(c));
  auto g = w.governed<fallback::none>();
  auto r = g.send(ask("openai", "gpt-unpublished"));
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message,
             Catch::Contains("the provider table publishes no limits for OpenAI gpt-unpublished on any of its tiers; "
                             "an rpm or tpm setting for openai (or itpm, otpm) makes it usable"));
  CHECK(r.error().message.find("tier \n") == std::string::npos);
  CHECK(w.sim("openai").log().empty());
}
