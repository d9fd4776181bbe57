#include <governed/sim/provider.hpp>

#include "helpers.hpp"

#include <catch2/catch.hpp>

#include <governed/providers/cost.hpp>

#include <algorithm>
#include <cmath>

using namespace simtest;
namespace gp = governed::providers;

TEST_CASE("60 RPM on a sliding minute: the 61st request passes only when the first leaves", "[sim][limits]") {
  clock::manual c;
  auto p = make({.provider = "openai",
                 .accounts = {{.id = "org-a", .limits = {.rpm = 60}}},
                 .keys = {{.key = "sk-test-a1", .account = "org-a"}},
                 .retry_after_header = false});
  const Instant first = c.now();
  for (int i = 0; i < 60; ++i) {
    REQUIRE(send(*p, c, "sk-test-a1", "gpt-4o").status == 200);
    c.advance(500ms);  // 60 requests over the first 30 s
  }
  // t = 30 s: the window holds 60; the first leaves at 60 s (plus the 1 ns the closed window
  // [t − 60 s, t] counts it for).
  auto r = send(*p, c, "sk-test-a1", "gpt-4o");
  REQUIRE(r.status == 429);
  auto v = classify(*p, r, c.wall_now());
  CHECK(v.kind == gp::Kind::rate_limit_requests);
  CHECK(v.retryable);
  CHECK_FALSE(v.rotate_key);
  REQUIRE(v.wait);
  CHECK(*v.wait == 30001ms);  // "Please try again in 30.001s": rounded up, never early

  c.set(first + 60s - 1ms);
  CHECK(send(*p, c, "sk-test-a1", "gpt-4o").status == 429);
  c.set(first + 60s + 1ns);
  CHECK(send(*p, c, "sk-test-a1", "gpt-4o").status == 200);
  // The second request (at 0.5 s) is still in the window: the next one waits for it.
  CHECK(send(*p, c, "sk-test-a1", "gpt-4o").status == 429);
  c.set(first + 60s + 500ms + 1ns);
  CHECK(send(*p, c, "sk-test-a1", "gpt-4o").status == 200);
  // Refusals were not counted: exactly 62 admitted.
  CHECK(p->count([](const sim::LogEntry& e) { return e.outcome == sim::Outcome::success; }) == 62);
}

TEST_CASE("waiting what the 429 says is always enough", "[sim][limits]") {
  clock::manual c;
  auto p = make({.provider = "openai",
                 .accounts = {{.id = "org-a", .limits = {.rpm = 3, .tpm = 400}}},
                 .keys = {{.key = "sk-test-a1", .account = "org-a"}},
                 .completion_tokens = 100});
  int admitted = 0, refused = 0;
  for (int i = 0; i < 40; ++i) {
    auto r = send(*p, c, "sk-test-a1", "gpt-4o", 100);
    if (r.status == 200) {
      ++admitted;
      c.advance(1s);
      continue;
    }
    ++refused;
    auto v = classify(*p, r, c.wall_now());
    REQUIRE(v.wait);
    c.advance(*v.wait);
    // Told to wait, waited: admitted.
    REQUIRE(send(*p, c, "sk-test-a1", "gpt-4o", 100).status == 200);
    ++admitted;
  }
  CHECK(refused > 0);
  CHECK(admitted == 40);
}

TEST_CASE("tokens per minute count the prompt estimate plus the tokens generated", "[sim][limits]") {
  clock::manual c;
  auto p = make({.provider = "groq",
                 .accounts = {{.id = "org_a", .limits = {.tpm = 1000}}},
                 .keys = {{.key = "gsk_test_a", .account = "org_a"}},
                 .completion_tokens = 300});
  // Each call: prompt estimate + min(max_tokens, 300) output.
  const auto prompt = gp::estimate_prompt(gp::builtin_table().provider("groq")->estimate, hello());
  REQUIRE(send(*p, c, "gsk_test_a", "llama-3.3-70b-versatile", 400).status == 200);
  REQUIRE(send(*p, c, "gsk_test_a", "llama-3.3-70b-versatile", 400).status == 200);
  CHECK(send(*p, c, "gsk_test_a", "llama-3.3-70b-versatile", 400).status == 200);
  auto r = send(*p, c, "gsk_test_a", "llama-3.3-70b-versatile", 400);
  REQUIRE(r.status == 429);
  auto v = classify(*p, r, c.wall_now());
  CHECK(v.kind == gp::Kind::rate_limit_tokens);
  REQUIRE(v.requested);
  CHECK(*v.requested == prompt + 300);
  CHECK(*v.limit == 1000);
  // A small request still fits the 1000 − 3 × (prompt + 300) left.
  CHECK(send(*p, c, "gsk_test_a", "llama-3.3-70b-versatile", 10).status == 200);
  auto log = p->log();
  CHECK(log.front().input_tokens == prompt);
  CHECK(log.front().output_tokens == 300);
  CHECK(log.back().output_tokens == 10);
}

TEST_CASE("a request larger than the limit is refused as never fitting", "[sim][limits]") {
  clock::manual c;
  for (std::string provider : {"openai", "groq"}) {
    auto p = make({.provider = provider,
                   .accounts = {{.id = "org-a", .limits = {.tpm = 500}}},
                   .keys = {{.key = "key-test-a", .account = "org-a"}},
                   .completion_tokens = 1000});
    auto r = send(*p, c, "key-test-a", "m", 1000);
    CHECK((r.status == 429 || r.status == 413));
    CHECK_FALSE(r.header("retry-after"));
    auto v = classify(*p, r, c.wall_now());
    CHECK(v.kind == gp::Kind::rate_limit_tokens);
    CHECK_FALSE(v.retryable);
    CHECK_FALSE(v.wait);
  }
}

TEST_CASE("two keys of one account share its limits; another account has its own", "[sim][accounts]") {
  clock::manual c;
  auto p = make({.provider = "openai",
                 .accounts = {{.id = "org-a", .limits = {.rpm = 2}}, {.id = "org-b", .limits = {.rpm = 2}}},
                 .keys = {{.key = "sk-test-a1", .account = "org-a"},
                          {.key = "sk-test-a2", .account = "org-a"},
                          {.key = "sk-test-b1", .account = "org-b"}}});
  CHECK(send(*p, c, "sk-test-a1", "gpt-4o").status == 200);
  CHECK(send(*p, c, "sk-test-a2", "gpt-4o").status == 200);
  CHECK(send(*p, c, "sk-test-a2", "gpt-4o").status == 429);  // the sibling is spent too
  CHECK(send(*p, c, "sk-test-b1", "gpt-4o").status == 200);
  // Limits are per model at OpenAI: another model of org-a still has room.
  CHECK(send(*p, c, "sk-test-a1", "gpt-4o-mini").status == 200);
  CHECK(p->reading(0, "gpt-4o", sim::Measure::requests, sim::Span::minute, c.now())->remaining == 0);
  CHECK(p->reading(1, "gpt-4o", sim::Measure::requests, sim::Span::minute, c.now())->remaining == 0);
  CHECK(p->reading(2, "gpt-4o", sim::Measure::requests, sim::Span::minute, c.now())->remaining == 1);
}

TEST_CASE("per-key scope and one allowance for every model are configurable", "[sim][accounts]") {
  clock::manual c;
  auto per_key = make({.provider = "azure",  // the table says: limits per key (deployment)
                       .keys = {{.key = "azkey1", .account = "res"}, {.key = "azkey2", .account = "res"}},
                       .limits = {.rpm = 1}});
  CHECK(send(*per_key, c, "azkey1", "gpt-4o").status == 200);
  CHECK(send(*per_key, c, "azkey2", "gpt-4o").status == 200);
  CHECK(send(*per_key, c, "azkey1", "gpt-4o").status == 429);

  auto shared = make({.provider = "openai",
                      .keys = {{.key = "sk-test-a1", .account = "org-a"}},
                      .limits = {.rpm = 1},
                      .per_model = false});
  CHECK(send(*shared, c, "sk-test-a1", "gpt-4o").status == 200);
  CHECK(send(*shared, c, "sk-test-a1", "gpt-4o-mini").status == 429);
}

TEST_CASE("limits come from the table's tier unless the account states them", "[sim][accounts]") {
  clock::manual c;
  auto p = make({.provider = "groq",
                 .accounts = {{.id = "org_a", .tier = "free",
                               .models = {{"llama-3.1-8b-instant", sim::Limits{.rpm = 1}}}}},
                 .keys = {{.key = "gsk_test_a", .account = "org_a"}}});
  auto r = send(*p, c, "gsk_test_a", "llama-3.3-70b-versatile");
  REQUIRE(r.status == 200);
  // Groq's free tier for llama-3.3-70b-versatile: 1000 requests per day, 12 000 tokens per minute.
  CHECK(r.header("x-ratelimit-limit-requests") == "1000");
  CHECK(r.header("x-ratelimit-limit-tokens") == "12000");
  CHECK(send(*p, c, "gsk_test_a", "llama-3.1-8b-instant").status == 200);
  CHECK(send(*p, c, "gsk_test_a", "llama-3.1-8b-instant").status == 429);
}

TEST_CASE("daily limits hold for 24 hours and rotate the key", "[sim][limits]") {
  clock::manual c;
  auto p = make({.provider = "openai",
                 .accounts = {{.id = "org-a", .limits = {.rpd = 3}}},
                 .keys = {{.key = "sk-test-a1", .account = "org-a"}}});
  const Instant first = c.now();
  for (int i = 0; i < 3; ++i) {
    REQUIRE(send(*p, c, "sk-test-a1", "gpt-4o-mini").status == 200);
    c.advance(1h);
  }
  auto r = send(*p, c, "sk-test-a1", "gpt-4o-mini");
  REQUIRE(r.status == 429);
  auto v = classify(*p, r, c.wall_now());
  CHECK(v.kind == gp::Kind::rate_limit_requests_daily);
  CHECK(v.rotate_key);
  REQUIRE(v.wait);
  // "Please try again in 21h0m0.001s": 21 h and the 1 ns the closed window adds, rounded up
  // to the millisecond; retry-after's "75601" says the same within its second.
  CHECK(*v.wait == 21h + 1ms);
  CHECK(r.header("retry-after") == "75601");
  c.set(first + 24h - 1s);
  CHECK(send(*p, c, "sk-test-a1", "gpt-4o-mini").status == 429);
  c.set(first + 24h + 1ns);
  CHECK(send(*p, c, "sk-test-a1", "gpt-4o-mini").status == 200);
}

TEST_CASE("tokens per day: Groq's TPD 429 names the wait to the millisecond", "[sim][limits]") {
  clock::manual c;
  auto p = make({.provider = "groq",
                 .accounts = {{.id = "org_a", .limits = {.tpd = 1000}}},
                 .keys = {{.key = "gsk_test_a", .account = "org_a"}},
                 .completion_tokens = 400,
                 .retry_after_header = false});
  REQUIRE(send(*p, c, "gsk_test_a", "llama-3.3-70b-versatile", 400).status == 200);
  c.advance(1h + 37min + 13s + 152ms);
  REQUIRE(send(*p, c, "gsk_test_a", "llama-3.3-70b-versatile", 400).status == 200);
  auto r = send(*p, c, "gsk_test_a", "llama-3.3-70b-versatile", 400);
  REQUIRE(r.status == 429);
  CHECK_THAT(r.body, Catch::Contains("on tokens per day (TPD)"));
  CHECK_THAT(r.body, Catch::Contains("Please try again in 22h22m46.849s"));
  auto v = classify(*p, r, c.wall_now());
  CHECK(v.kind == gp::Kind::rate_limit_tokens_daily);
  CHECK(v.rotate_key);
  CHECK(v.wait == 22h + 22min + 46s + 849ms);
}

TEST_CASE("scripted: a model at an account is over its daily tokens until T", "[sim][script]") {
  clock::manual c;
  auto p = make({.provider = "groq",
                 .keys = {{.key = "gsk_test_a", .account = "org_a"}, {.key = "gsk_test_b", .account = "org_b"}},
                 .retry_after_header = false});
  p->exhaust("org_a", "llama-3.3-70b-versatile", sim::Measure::tokens, c.now() + 22min + 46s + 848ms);
  auto r = send(*p, c, "gsk_test_a", "llama-3.3-70b-versatile");
  REQUIRE(r.status == 429);
  CHECK_THAT(r.body, Catch::Contains("Please try again in 22m46.848s"));
  auto v = classify(*p, r, c.wall_now());
  CHECK(v.kind == gp::Kind::rate_limit_tokens_daily);
  CHECK(v.rotate_key);
  CHECK(v.wait == 1366848ms);
  // Another model and another account are unaffected.
  CHECK(send(*p, c, "gsk_test_a", "llama-3.1-8b-instant").status == 200);
  CHECK(send(*p, c, "gsk_test_b", "llama-3.3-70b-versatile").status == 200);
  c.advance(1366848ms);
  CHECK(send(*p, c, "gsk_test_a", "llama-3.3-70b-versatile").status == 200);
}

TEST_CASE("scripted: canned replies and outages", "[sim][script]") {
  clock::manual c;
  auto p = make({.provider = "anthropic", .keys = {{.key = "sk-ant-test-a", .account = "org-a"}}});
  sim::ProviderReply canned{429, {{"retry-after", "7"}}, R"({"type":"error","error":{"type":"rate_limit_error","message":"Number of requests has exceeded your per-minute rate limit"}})"};
  p->push_reply("claude-3-5-haiku-20241022", canned);
  // Only that model's next request gets it, once.
  CHECK(send(*p, c, "sk-ant-test-a", "claude-3-5-sonnet-20241022").status == 200);
  auto r = send(*p, c, "sk-ant-test-a", "claude-3-5-haiku-20241022");
  CHECK(r.status == 429);
  CHECK(r.body == canned.body);
  CHECK(classify(*p, r, c.wall_now()).wait == 7s);
  CHECK(send(*p, c, "sk-ant-test-a", "claude-3-5-haiku-20241022").status == 200);

  p->overload("claude-3-5-sonnet-20241022", c.now() + 5min);
  auto o = send(*p, c, "sk-ant-test-a", "claude-3-5-sonnet-20241022");
  CHECK(o.status == 529);
  CHECK(classify(*p, o, c.wall_now()).kind == gp::Kind::overloaded);
  c.advance(5min);
  CHECK(send(*p, c, "sk-ant-test-a", "claude-3-5-sonnet-20241022").status == 200);
  auto log = p->log();
  REQUIRE(log.size() == 5);
  CHECK(log[1].outcome == sim::Outcome::scripted);
  CHECK(log[3].outcome == sim::Outcome::overloaded);
}

TEST_CASE("injected failures follow the seed", "[sim][failures]") {
  clock::manual c;
  auto run = [&](std::uint64_t seed) {
    auto p = make({.provider = "anthropic",
                   .keys = {{.key = "sk-ant-test-a", .account = "org-a"}},
                   .failures = {.overload_rate = 0.10, .server_error_rate = 0.05},
                   .seed = seed});
    std::vector<int> statuses;
    for (int i = 0; i < 2000; ++i) statuses.push_back(send(*p, c, "sk-ant-test-a", "claude-3-5-haiku-20241022").status);
    return statuses;
  };
  const auto a = run(42), b = run(42), other = run(43);
  CHECK(a == b);
  CHECK(a != other);
  const auto overloads = std::count(a.begin(), a.end(), 529);
  const auto errors = std::count(a.begin(), a.end(), 500);
  // Binomial(2000, 0.10): mean 200, sd 13.4; (2000, 0.05): mean 100, sd 9.7 — within 5 sd.
  CHECK(overloads > 133);
  CHECK(overloads < 267);
  CHECK(errors > 51);
  CHECK(errors < 149);
  CHECK(std::count(a.begin(), a.end(), 200) == 2000 - overloads - errors);
}

TEST_CASE("key states: invalid, exhausted, forbidden, unknown", "[sim][keys]") {
  clock::manual c;
  auto p = make({.provider = "openai",
                 .keys = {{.key = "sk-test-good", .account = "org-a"},
                          {.key = "sk-test-spent", .account = "org-b", .status = sim::KeyStatus::exhausted},
                          {.key = "sk-test-revoked", .account = "org-c", .status = sim::KeyStatus::invalid},
                          {.key = "sk-test-no4o", .account = "org-d", .forbidden_models = {"gpt-4o"}}},
                 .models = {"gpt-4o", "gpt-4o-mini"}});
  CHECK(send(*p, c, "sk-test-good", "gpt-4o").status == 200);
  CHECK(send(*p, c, "sk-test-spent", "gpt-4o").status == 429);
  CHECK(send(*p, c, "sk-test-revoked", "gpt-4o").status == 401);
  CHECK(send(*p, c, "sk-test-unknown", "gpt-4o").status == 401);
  CHECK(send(*p, c, "sk-test-no4o", "gpt-4o").status == 403);
  CHECK(send(*p, c, "sk-test-no4o", "gpt-4o-mini").status == 200);
  CHECK(send(*p, c, "sk-test-good", "gpt-9").status == 404);
  REQUIRE(p->set_key_status(1, sim::KeyStatus::valid));
  CHECK(send(*p, c, "sk-test-spent", "gpt-4o").status == 200);
  CHECK_FALSE(p->set_key_status(9, sim::KeyStatus::valid));

  auto log = p->log();
  REQUIRE(log.size() == 8);
  CHECK(log[1].outcome == sim::Outcome::billing);
  CHECK(log[2].outcome == sim::Outcome::invalid_key);
  CHECK(log[2].key_index == 2u);
  CHECK_FALSE(log[3].key_index);
  CHECK(log[3].account.empty());
  CHECK(log[4].outcome == sim::Outcome::forbidden);
  CHECK(log[6].outcome == sim::Outcome::unknown_model);
}

TEST_CASE("the request log says who asked for what, and never holds a key", "[sim][log]") {
  clock::manual c;
  auto p = make({.provider = "groq",
                 .keys = {{.key = "gsk_secretAAAAAAAAAAAAAAAAAAAA", .account = "org_a"},
                          {.key = "gsk_secretBBBBBBBBBBBBBBBBBBBB", .account = "org_b"}},
                 .limits = {.rpm = 1}});
  std::vector<sim::ProviderReply> replies;
  replies.push_back(send(*p, c, "gsk_secretAAAAAAAAAAAAAAAAAAAA", "llama-3.3-70b-versatile"));
  c.advance(2s);
  replies.push_back(send(*p, c, "gsk_secretAAAAAAAAAAAAAAAAAAAA", "llama-3.3-70b-versatile"));
  replies.push_back(send(*p, c, "gsk_secretBBBBBBBBBBBBBBBBBBBB", "llama-3.1-8b-instant"));
  replies.push_back(send(*p, c, "gsk_secretCCCCCCCCCCCCCCCCCCCC", "llama-3.1-8b-instant"));
  const auto log = p->log();
  REQUIRE(log.size() == 4);
  CHECK(log[0].at == c.now() - 2s);
  CHECK(log[1].status == 429);
  CHECK(log[1].outcome == sim::Outcome::rate_limited);
  CHECK(log[2].key_index == 1u);
  CHECK(log[2].account == "org_b");
  CHECK(log[2].provider == "groq");
  CHECK(log[2].model == "llama-3.1-8b-instant");
  CHECK(log[3].status == 401);
  // "No request to the cooled model" is a count over the log.
  CHECK(p->count([](const sim::LogEntry& e) { return e.model == "llama-3.3-70b-versatile"; }) == 2);
  for (const auto& r : replies) {
    CHECK(r.body.find("secret") == std::string::npos);
    for (const auto& [k, v] : r.headers) CHECK(v.find("secret") == std::string::npos);
  }
  for (const auto& e : log) {
    CHECK(e.account.find("secret") == std::string::npos);
    CHECK(e.model.find("secret") == std::string::npos);
  }
}

TEST_CASE("bad configurations are refused with a message that names no key", "[sim][config]") {
  auto unknown = sim::Provider::create({.provider = "nope"});
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == Errc::invalid_argument);
  auto rates = sim::Provider::create({.failures = {.overload_rate = 0.8, .server_error_rate = 0.5}});
  REQUIRE_FALSE(rates);
  auto dup = sim::Provider::create({.keys = {{.key = "sk-test-dup"}, {.key = "sk-test-dup"}}});
  REQUIRE_FALSE(dup);
  CHECK(dup.error().message == "sim: keys 0 and 1 are the same key");
  auto negative = sim::Provider::create({.limits = {.rpm = -1}});
  REQUIRE_FALSE(negative);
  CHECK_FALSE(sim::Provider::create({.keys = {{.key = ""}}}));
}

TEST_CASE("a model the tier does not offer refuses every request", "[sim][limits]") {
  clock::manual c;
  auto p = make({.provider = "openai", .keys = {{.key = "sk-test-a1", .account = "org-a"}}, .tier = "free"});
  auto r = send(*p, c, "sk-test-a1", "gpt-4o");  // "free": "unavailable"
  REQUIRE(r.status == 429);
  CHECK_FALSE(classify(*p, r, c.wall_now()).retryable);
  CHECK(send(*p, c, "sk-test-a1", "gpt-4o-mini").status == 200);
}

TEST_CASE("billing and access are the account's: every key of it is refused", "[sim][accounts][keys]") {
  clock::manual c;
  auto p = make({.provider = "openai",
                 .accounts = {{.id = "org-a"}, {.id = "org-b"}},
                 .keys = {{.key = "sk-test-a1", .account = "org-a"},
                          {.key = "sk-test-a2", .account = "org-a"},
                          {.key = "sk-test-b1", .account = "org-b"}}});
  REQUIRE(p->set_account_status("org-a", sim::KeyStatus::exhausted));
  for (const char* key : {"sk-test-a1", "sk-test-a2"}) {
    auto r = send(*p, c, key, "gpt-4o");
    CHECK(r.status == 429);
    CHECK(classify(*p, r, c.wall_now()).kind == gp::Kind::insufficient_quota_billing);
  }
  CHECK(send(*p, c, "sk-test-b1", "gpt-4o").status == 200);  // another account pays its own way

  REQUIRE(p->set_account_status("org-a", sim::KeyStatus::invalid));  // a deactivated organisation
  auto r = send(*p, c, "sk-test-a2", "gpt-4o");
  CHECK(r.status == 401);
  CHECK(classify(*p, r, c.wall_now()).kind == gp::Kind::auth);
  REQUIRE(p->set_account_status("org-a", sim::KeyStatus::valid));
  CHECK(send(*p, c, "sk-test-a1", "gpt-4o").status == 200);
  CHECK_FALSE(p->set_account_status("org-nobody", sim::KeyStatus::invalid));

  // Declared spent from the start.
  auto q = make({.provider = "anthropic",
                 .accounts = {{.id = "org-x", .status = sim::KeyStatus::exhausted}},
                 .keys = {{.key = "sk-ant-test-x1", .account = "org-x"}}});
  auto b = send(*q, c, "sk-ant-test-x1", "claude-3-5-haiku-20241022");
  CHECK(b.status == 400);
  CHECK(classify(*q, b, c.wall_now()).kind == gp::Kind::insufficient_quota_billing);
}

TEST_CASE("a prepaid credit is charged at the table's prices until it is spent", "[sim][accounts][billing]") {
  clock::manual c;
  const auto* model = gp::builtin_table().model("openrouter", "openai/gpt-4o-mini");
  REQUIRE(model);
  auto p = make({.provider = "openrouter",
                 .accounts = {{.id = "acct-a", .credit_usd = 0.0001}},
                 .keys = {{.key = "sk-or-v1-test-a", .account = "acct-a"}, {.key = "sk-or-v1-test-b", .account = "acct-a"}},
                 .completion_tokens = 100});
  // Each call: the prompt estimate plus 100 output tokens at the model's prices.
  const auto prompt = gp::estimate_prompt(model->estimate, hello());
  const double per_call = gp::cost_of(model->price, gp::Usage{.input_tokens = prompt, .output_tokens = 100}).total_cost;
  REQUIRE(per_call > 0);
  const int affordable = static_cast<int>(std::ceil(0.0001 / per_call));
  int ok = 0;
  sim::ProviderReply last;
  for (int i = 0; i < affordable + 5; ++i) {
    last = send(*p, c, i % 2 ? "sk-or-v1-test-a" : "sk-or-v1-test-b", "openai/gpt-4o-mini", 100);
    if (last.status == 200) ++ok;
  }
  // Calls pass while any credit is left; the last one may overdraw by its own cost.
  CHECK(ok == affordable);
  CHECK(last.status == 402);
  CHECK(classify(*p, last, c.wall_now()).kind == gp::Kind::insufficient_quota_billing);
  REQUIRE(p->credit("acct-a"));
  CHECK(*p->credit("acct-a") <= 0);
  CHECK(*p->credit("acct-a") > -per_call);
  // Topped up, it serves again.
  REQUIRE(p->set_credit("acct-a", 1.0));
  CHECK(send(*p, c, "sk-or-v1-test-a", "openai/gpt-4o-mini", 100).status == 200);
  CHECK_FALSE(p->credit("acct-unknown"));
}

TEST_CASE("the request log keeps the latest entries up to its capacity", "[sim][log]") {
  clock::manual c;
  auto p = make({.provider = "openai", .keys = {{.key = "sk-test-a1"}}, .log_capacity = 3});
  for (int i = 0; i < 5; ++i) {
    send(*p, c, "sk-test-a1", "gpt-4o");
    c.advance(1s);
  }
  const auto log = p->log();
  REQUIRE(log.size() == 3);
  CHECK(log.front().at == Instant{} + 2s);
  CHECK(log.back().at == Instant{} + 4s);
  CHECK(p->received() == 5);

  auto silent = make({.provider = "openai", .keys = {{.key = "sk-test-a1"}}, .log_capacity = 0});
  CHECK(send(*silent, c, "sk-test-a1", "gpt-4o").status == 200);
  CHECK(silent->log().empty());
  CHECK(silent->received() == 1);
}

TEST_CASE("a request that brings an older instant than one already answered counts as arriving now",
          "[sim][limits]") {
  // Threads read the clock before the provider's lock: the one that read first may arrive last.
  clock::manual c;
  auto p = make({.provider = "openai", .keys = {{.key = "sk-test-a1"}}, .limits = {.rpm = 1}});
  const Instant t0 = c.now();
  CHECK(p->handle(sim::Call{"gpt-4o", "sk-test-a1", hello(), 64, 1}, t0 + 61s, c.wall_now()).status == 200);
  // Read at t0, 61 s before the first was admitted, it would find an empty window; it arrives
  // after the first, so it shares that request's minute.
  auto late = p->handle(sim::Call{"gpt-4o", "sk-test-a1", hello(), 64, 1}, t0, c.wall_now());
  CHECK(late.status == 429);
  CHECK(p->log().back().at == t0 + 61s);
}
