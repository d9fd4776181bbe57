// End to end over loopback: `Governed<transport::http>` against `sim::Server` in each
// provider's wire format, and the governed scenarios that live on the wire — a per-minute
// limit learnt from the provider's own headers or answered by its 429 and retry-after, a daily
// 429 that moves to another account's key at once, a model that is out for its daily limit
// and skipped, a refused key never used again, a streamed call. The server and the State read
// one manual clock (the server answers at once), so every wait is exact and takes no time.
#include <governed/sim/server.hpp>

#include <governed/governed.hpp>
#include <governed/transport/http.hpp>

#include <boost/asio/use_future.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <future>
#include <memory>
#include <string>
#include <vector>

using namespace governed;
using namespace std::chrono_literals;

namespace {

using Clock = clock::manual;
using WireState = State<limiter::gcra, Clock>;
using G = Governed<transport::http, Clock>;

const std::string completion = "This is a simulated completion.";

sim::Config simulated(std::string provider, std::vector<sim::KeySpec> keys, std::vector<sim::AccountSpec> accounts = {}) {
  sim::Config c;
  c.provider = std::move(provider);
  c.keys = std::move(keys);
  c.accounts = std::move(accounts);
  c.limits = {.rpm = 1000};
  c.latency = {.fixed = Duration::zero(), .per_output_token = Duration::zero()};
  return c;
}

/// Simulated providers behind one loopback server, a State whose providers point at it
/// (`ProviderSettings::base_url`) with the same keys, and the HTTP transport between them.
struct Wire {
  Clock clock{Instant{1h}, Clock::default_wall_start, 1};
  std::vector<std::shared_ptr<sim::Provider>> providers;
  std::unique_ptr<sim::Server<Clock>> server;
  std::shared_ptr<transport::http> http = std::make_shared<transport::http>();
  std::shared_ptr<WireState> state;

  explicit Wire(std::vector<sim::Config> sims, StateConfig config = {}) {
    for (auto& c : sims) {
      for (const auto& k : c.keys) config.keys.keys.push_back({c.provider, k.key, k.account});
      providers.push_back(sim::Provider::create(std::move(c)).value());
    }
    sim::ServerOptions o;
    o.wait_latency = false;
    server = sim::Server<Clock>::create(providers, clock, o).value();
    for (const auto& p : providers) {
      const std::string& name = p->config().provider;
      // An OpenAI account past its first payment (tier 1, 500 RPM), unless a test says
      // otherwise: the free tier's 3 RPM would hold these calls back on its own.
      if (name == "openai" && !config.providers.contains(name)) config.providers[name].tier = "tier1";
      config.providers[name].base_url = server->base_url(name);
    }
    config.keys.persist = false;
    config.seed = 7;
    state = WireState::create(std::move(config), clock).value();
  }

  sim::Provider& sim(std::string_view name) { return *server->find(name); }
  G governed() { return G(state, http); }

  /// One attempt straight through the transport, as another process on the same account.
  transport::Reply direct(const Request& r, std::string_view provider, std::string_view key) {
    const std::string base = server->base_url(provider);
    return http->send(transport::Attempt{r, provider, r.model, base, key});
  }
};

Request ask(std::string provider, std::string model) {
  Request r;
  r.provider = std::move(provider);
  r.model = std::move(model);
  r.messages = {{"system", "Be brief."}, {"user", "Say hello in one word."}};
  r.max_tokens = 64;
  return r;
}

std::size_t count(const std::vector<Event>& events, EventKind kind) {
  return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), [&](const Event& e) { return e.kind == kind; }));
}

std::optional<Duration> wait_of(const std::vector<Event>& events, EventKind kind) {
  for (const auto& e : events)
    if (e.kind == kind) return e.wait;
  return std::nullopt;
}

std::vector<int> statuses(const std::vector<sim::LogEntry>& log) {
  std::vector<int> out;
  for (const auto& e : log) out.push_back(e.status);
  return out;
}

std::vector<std::size_t> keys_used(const std::vector<sim::LogEntry>& log) {
  std::vector<std::size_t> out;
  for (const auto& e : log) out.push_back(e.key_index.value_or(999));
  return out;
}

}  // namespace

template <>
struct Catch::StringMaker<governed::Result<governed::Response>> {
  static std::string convert(const governed::Result<governed::Response>& r) {
    return r ? "ok: " + r->provider + " " + r->model : "error: " + r.error().message;
  }
};

TEST_CASE("governed over http: each wire format answers, with the provider's usage and cost", "[sim_server][governed]") {
  struct Case {
    std::string provider, model, key;
  };
  const std::vector<Case> cases{{"openai", "gpt-4o-mini", "sk-wire-openai-aaaaaaaaaaaa"},
                                {"azure", "gpt-4o-mini", "azure-wire-key-aaaaaaaaaaaa"},
                                {"anthropic", "claude-3-5-haiku-20241022", "sk-ant-wire-aaaaaaaaaaaa"},
                                {"gemini", "gemini-2.5-flash", "AIzaWireGeminiKeyaaaaaaaaaaa"}};
  std::vector<sim::Config> sims;
  for (const auto& c : cases) sims.push_back(simulated(c.provider, {{.key = c.key, .account = c.provider + "-org"}}));
  Wire w(std::move(sims));
  auto g = w.governed();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    INFO(c.provider);
    const Instant t0 = w.clock.now();
    auto r = g.send(ask(c.provider, c.model));
    REQUIRE(r);
    CHECK(r->provider == c.provider);
    CHECK(r->model == c.model);
    CHECK(r->attempts == 1);
    CHECK(r->content == completion);
    CHECK(r->key_fingerprint == w.state->keys().fingerprint(i));
    CHECK(r->events.empty());  // the plain path
    CHECK(w.clock.now() == t0);
    // The usage is the provider's count, read from its reply, and priced by the table.
    const auto log = w.sim(c.provider).log();
    REQUIRE(log.size() == 1);
    CHECK(log[0].model == c.model);  // Azure: the deployment in the URL
    CHECK(log[0].key_index == 0u);
    CHECK(log[0].outcome == sim::Outcome::success);
    CHECK(r->usage.input_tokens == log[0].input_tokens);
    CHECK(r->usage.output_tokens == 64);
    CHECK(r->cost.total_cost > 0);
  }
}

TEST_CASE("governed over http: Azure's v1 API answers the api-key header governed sends there",
          "[sim_server][governed]") {
  Wire w({simulated("azure", {{.key = "azure-v1-key-aaaaaaaaaaaa", .account = "azure-org"}})});
  const Request req = ask("azure", "gpt-4o-mini");
  // The v1 API: chat completions at {resource}/openai/v1, the model in the body, `api-key`.
  const std::string v1 = w.server->url() + "/openai/v1";
  const transport::Reply ok = w.http->send(transport::Attempt{req, "azure", req.model, v1, "azure-v1-key-aaaaaaaaaaaa"});
  CHECK(ok.status == 200);
  CHECK_FALSE(ok.request_id.empty());
  const transport::Reply refused = w.http->send(transport::Attempt{req, "azure", req.model, v1, "azure-v1-key-bbbbbbbbbbbb"});
  CHECK(refused.status == 401);
  const auto log = w.sim("azure").log();
  REQUIRE(log.size() == 1);
  CHECK(log[0].model == "gpt-4o-mini");
  CHECK(log[0].key_index == 0u);
}

TEST_CASE("governed over http: the provider's x-ratelimit headers hold the next call back instead of a 429",
          "[sim_server][governed][scenario]") {
  // The provider allows 2 a minute on this account; the governor was told 500 (tier 1).
  Wire w({simulated("openai", {{.key = "sk-wire-openai-aaaaaaaaaaaa", .account = "org-a"}},
                    {{.id = "org-a", .limits = {.rpm = 2}}})});
  auto g = w.governed();
  const Instant t0 = w.clock.now();
  REQUIRE(g.send(ask("openai", "gpt-4o-mini")));
  w.clock.advance(10s);
  REQUIRE(g.send(ask("openai", "gpt-4o-mini")));  // x-ratelimit-remaining-requests: 0, reset 50.001s
  w.clock.advance(5s);
  auto r = g.send(ask("openai", "gpt-4o-mini"));
  REQUIRE(r);
  CHECK(r->attempts == 1);
  // It waited what the provider said, to the millisecond, and sent nothing to be refused.
  CHECK(w.clock.now() - t0 == 60s + 1ms);
  CHECK(wait_of(r->events, EventKind::waited) == std::optional<Duration>(45s + 1ms));
  const auto log = w.sim("openai").log();
  CHECK(statuses(log) == std::vector<int>{200, 200, 200});
  REQUIRE(log.size() == 3);
  CHECK(log[2].at - t0 == 60s + 1ms);
}

TEST_CASE("governed over http: a per-minute 429 is retried on the same key after the provider's stated wait",
          "[sim_server][governed][scenario]") {
  Wire w({simulated("openai",
                    {{.key = "sk-wire-openai-aaaaaaaaaaaa", .account = "org-a"},
                     {.key = "sk-wire-openai-bbbbbbbbbbbb", .account = "org-a"}},
                    {{.id = "org-a", .limits = {.rpm = 2}}})});
  auto g = w.governed();
  // Another process on the same account spends the minute; this governor cannot know.
  const Instant t0 = w.clock.now();
  for (int i = 0; i < 2; ++i) REQUIRE(w.direct(ask("openai", "gpt-4o-mini"), "openai", "sk-wire-openai-bbbbbbbbbbbb").status == 200);
  w.clock.advance(15s);
  auto r = g.send(ask("openai", "gpt-4o-mini"));
  REQUIRE(r);
  CHECK(r->model == "gpt-4o-mini");
  CHECK(r->attempts == 2);
  CHECK(count(r->events, EventKind::retried) == 1);
  CHECK(count(r->events, EventKind::key_rotated) == 0);  // the sibling key shares the account's limit
  CHECK(count(r->events, EventKind::switched_model) == 0);
  // retry-after says 46 (whole seconds); the body's "try again in 45.001s" is the exact wait.
  CHECK(wait_of(r->events, EventKind::retried) == std::optional<Duration>(45s + 1ms));
  CHECK(w.clock.now() - t0 == 60s + 1ms);
  const auto log = w.sim("openai").log();
  CHECK(statuses(log) == std::vector<int>{200, 200, 429, 200});
  CHECK(keys_used(log) == std::vector<std::size_t>{1, 1, 0, 0});
  REQUIRE(log.size() == 4);
  CHECK(log[2].at - t0 == 15s);
  CHECK(log[3].at - t0 == 60s + 1ms);
  for (const auto& e : r->events) CHECK(e.message.find("org-a") == std::string::npos);
}

TEST_CASE("governed over http: a daily 429 moves to another account's key at once and keeps off the spent one",
          "[sim_server][governed][scenario]") {
  Wire w({simulated("openai",
                    {{.key = "sk-wire-openai-aaaaaaaaaaaa", .account = "org-a"},
                     {.key = "sk-wire-openai-bbbbbbbbbbbb", .account = "org-b"}},
                    {{.id = "org-a", .limits = {.rpm = 1000, .rpd = 1}}, {.id = "org-b", .limits = {.rpm = 1000, .rpd = 100}}})});
  auto g = w.governed();
  const Instant t0 = w.clock.now();
  REQUIRE(g.send(ask("openai", "gpt-4o-mini")));  // key a: org-a's one request of the day
  REQUIRE(g.send(ask("openai", "gpt-4o-mini")));  // key b, round robin
  w.clock.advance(1min);
  const Instant t1 = w.clock.now();
  auto r = g.send(ask("openai", "gpt-4o-mini"));  // key a: the daily 429, then key b
  REQUIRE(r);
  CHECK(r->model == "gpt-4o-mini");
  CHECK(r->attempts == 2);
  CHECK(r->key_fingerprint == w.state->keys().fingerprint(1));
  CHECK(w.clock.now() == t1);  // no sleep: a daily limit is not waited out
  CHECK(count(r->events, EventKind::key_exhausted) == 1);
  CHECK(count(r->events, EventKind::key_rotated) == 1);
  CHECK(count(r->events, EventKind::retried) == 0);
  // Out until the day's window frees org-a's request: a day after it was made.
  const auto until = w.state->cooldowns().cooling_until(CooldownKey{"openai", "gpt-4o-mini", "org-a"}, t1);
  REQUIRE(until);
  CHECK(*until - t0 >= 24h);
  CHECK(*until - t0 <= 24h + 1s);
  for (int i = 0; i < 4; ++i) REQUIRE(g.send(ask("openai", "gpt-4o-mini")));
  const auto log = w.sim("openai").log();
  CHECK(statuses(log) == std::vector<int>{200, 200, 429, 200, 200, 200, 200, 200});
  CHECK(keys_used(log) == std::vector<std::size_t>{0, 1, 0, 1, 1, 1, 1, 1});
  CHECK(w.clock.now() == t1);
}

TEST_CASE("governed over http: a model out for its daily tokens is skipped for the stated time, then used again",
          "[sim_server][governed][scenario]") {
  Wire w({simulated("groq", {{.key = "gsk_wire_groq_aaaaaaaaaaaaaaaa", .account = "groq-org-a"}})});
  auto g = w.governed();
  constexpr Duration tpd_wait = 22min + 46848ms;  // "Please try again in 22m46.848s"
  const Instant t0 = w.clock.now();
  w.sim("groq").exhaust("groq-org-a", "llama-3.3-70b-versatile", sim::Measure::tokens, t0 + tpd_wait);

  auto r = g.send(ask("groq", "llama-3.3-70b-versatile"));
  REQUIRE(r);
  CHECK(r->provider == "groq");
  CHECK(r->model == "llama-3.1-70b-versatile");
  CHECK(r->attempts == 2);
  CHECK(w.clock.now() == t0);
  CHECK(count(r->events, EventKind::switched_model) == 1);
  for (const auto& e : r->events) {
    if (e.kind == EventKind::switched_model) CHECK(e.message == "Switching to GROQ llama-3.1-70b-versatile\u2026");
    CHECK(e.message.find("gsk_wire") == std::string::npos);
    CHECK(e.message.find("groq-org-a") == std::string::npos);
  }
  const auto until = w.state->cooldowns().cooling_until(CooldownKey{"groq", "llama-3.3-70b-versatile", "groq-org-a"}, t0);
  REQUIRE(until);
  CHECK(*until - t0 == tpd_wait);
  auto log = w.sim("groq").log();
  REQUIRE(log.size() == 2);
  CHECK(log[0].model == "llama-3.3-70b-versatile");
  CHECK(log[0].status == 429);
  CHECK(log[1].model == "llama-3.1-70b-versatile");
  CHECK(log[1].status == 200);

  // Within the cooldown: straight to the fallback, nothing sent to the cooled model.
  w.clock.advance(10min);
  auto again = g.send(ask("groq", "llama-3.3-70b-versatile"));
  REQUIRE(again);
  CHECK(again->model == "llama-3.1-70b-versatile");
  CHECK(again->attempts == 1);
  log = w.sim("groq").log();
  REQUIRE(log.size() == 3);
  CHECK(log[2].model == "llama-3.1-70b-versatile");

  // After it: the model serves again.
  w.clock.set(t0 + tpd_wait);
  auto back = g.send(ask("groq", "llama-3.3-70b-versatile"));
  REQUIRE(back);
  CHECK(back->model == "llama-3.3-70b-versatile");
  CHECK(back->attempts == 1);
}

TEST_CASE("governed over http: a refused key is marked invalid, the next key serves at once, and it is never used again",
          "[sim_server][governed][scenario]") {
  // Anthropic answers 401; Gemini answers an invalid key with 400 API_KEY_INVALID.
  struct Case {
    std::string provider, model, revoked, good;
    int status;
  };
  const std::vector<Case> cases{
      {"anthropic", "claude-3-5-haiku-20241022", "sk-ant-wire-revoked-aaaa", "sk-ant-wire-good-bbbbbbb", 401},
      {"gemini", "gemini-2.5-flash", "AIzaWireRevokedKeyaaaaaaaaaa", "AIzaWireGoodKeybbbbbbbbbbbbb", 400}};
  for (const auto& c : cases) {
    INFO(c.provider);
    Wire w({simulated(c.provider, {{.key = c.revoked, .account = "acct-a", .status = sim::KeyStatus::invalid},
                                   {.key = c.good, .account = "acct-b"}})});
    auto g = w.governed();
    const Instant t0 = w.clock.now();
    auto r = g.send(ask(c.provider, c.model));
    REQUIRE(r);
    CHECK(r->model == c.model);
    CHECK(r->attempts == 2);
    CHECK(r->key_fingerprint == w.state->keys().fingerprint(1));
    CHECK(count(r->events, EventKind::key_invalid) == 1);
    CHECK(w.clock.now() == t0);
    CHECK(w.state->keys().health(0, w.clock.wall_now()) == keys::KeyHealth::invalid);
    for (int i = 0; i < 5; ++i) REQUIRE(g.send(ask(c.provider, c.model)));
    const auto log = w.sim(c.provider).log();
    REQUIRE(log.size() == 7);
    CHECK(log[0].status == c.status);
    CHECK(log[0].outcome == sim::Outcome::invalid_key);
    CHECK(keys_used(log) == std::vector<std::size_t>{0, 1, 1, 1, 1, 1, 1});
    for (const auto& e : r->events) CHECK(e.message.find(c.revoked) == std::string::npos);
  }
}

TEST_CASE("governed over http: a streamed call hands over the pieces in order and bills the final usage",
          "[sim_server][governed]") {
  Wire w({simulated("openai", {{.key = "sk-wire-openai-aaaaaaaaaaaa", .account = "org-a"}},
                    {{.id = "org-a", .limits = {.rpm = 1}}}),
          simulated("anthropic", {{.key = "sk-ant-wire-aaaaaaaaaaaa", .account = "ant-a"}})});
  auto g = w.governed();
  for (const auto& [provider, model] : std::vector<std::pair<std::string, std::string>>{
           {"openai", "gpt-4o-mini"}, {"anthropic", "claude-3-5-haiku-20241022"}}) {
    INFO(provider);
    std::vector<std::string> pieces;
    auto r = g.stream(ask(provider, model), [&](std::string_view p) { pieces.emplace_back(p); });
    REQUIRE(r);
    CHECK(r->content == completion);
    CHECK(pieces.size() == 5);
    std::string joined;
    for (const auto& p : pieces) joined += p;
    CHECK(joined == completion);
    // OpenAI reports usage in a stream only when asked (stream_options.include_usage).
    const auto log = w.sim(provider).log();
    REQUIRE(log.size() == 1);
    CHECK(r->usage.input_tokens == log[0].input_tokens);
    CHECK(r->usage.output_tokens == 64);
  }

  // The minute's one request is spent: the next stream waits it out, and the caller sees
  // only the answer.
  const Instant t0 = w.clock.now();
  w.clock.advance(30s);
  std::string shown;
  auto r = g.stream(ask("openai", "gpt-4o-mini"), [&](std::string_view p) { shown += p; });
  REQUIRE(r);
  CHECK(shown == completion);
  // The first stream's headers said the minute's one request was spent until 60.001 s:
  // the second waits the rest of it and is never refused.
  CHECK(r->attempts == 1);
  CHECK(wait_of(r->events, EventKind::waited) == std::optional<Duration>(30s + 1ms));
  const auto log = w.sim("openai").log();
  CHECK(statuses(log) == std::vector<int>{200, 200});
  CHECK(log.back().at - t0 == 60s + 1ms);
}

TEST_CASE("governed over http: 32 calls in flight at once each get their answer on one attempt",
          "[sim_server][governed][concurrency]") {
  Wire w({simulated("openai", {{.key = "sk-wire-openai-aaaaaaaaaaaa", .account = "org-a"}})});
  auto g = w.governed();
  std::vector<std::future<Result<Response>>> calls;
  for (int i = 0; i < 32; ++i) calls.push_back(g.async_send(ask("openai", "gpt-4o-mini"), boost::asio::use_future));
  for (auto& f : calls) {
    auto r = f.get();
    REQUIRE(r);
    CHECK(r->attempts == 1);
    CHECK(r->content == completion);
  }
  const auto log = w.sim("openai").log();
  CHECK(statuses(log) == std::vector<int>(32, 200));
  // Connections went back to the pool for the next calls.
  CHECK(w.http->idle_connections(w.server->base_url("openai")) >= 1);
}

TEST_CASE("governed over http: a transport whose last owner lets go on its own I/O thread finishes there",
          "[sim_server][governed][concurrency]") {
  // A call site dropped while its async call completes: the last reference to the transport
  // goes with the completion, on the transport's own thread, inside its io_context's run().
  // That io_context must outlive the run (it used to be destroyed under it).
  Wire w({simulated("openai", {{.key = "sk-wire-openai-aaaaaaaaaaaa", .account = "org-a"}})});
  auto t = std::make_shared<transport::http>();
  const std::weak_ptr<transport::http> alive = t;
  transport::http* raw = t.get();
  const Request r = ask("openai", "gpt-4o-mini");
  const std::string base = w.server->base_url("openai");
  std::promise<int> status;
  raw->async_send(transport::Attempt{r, "openai", r.model, base, "sk-wire-openai-aaaaaaaaaaaa"},
                  [t = std::move(t), &status](transport::Reply reply) mutable {
                    t.reset();
                    status.set_value(reply.status);
                  });
  CHECK(status.get_future().get() == 200);
  CHECK(alive.expired());
  CHECK(w.sim("openai").log().size() == 1);
}

TEST_CASE("governed over http: async_send without a token is a deferred operation, launched later with a token",
          "[sim_server][governed]") {
  Wire w({simulated("openai", {{.key = "sk-wire-openai-aaaaaaaaaaaa", .account = "org-a"}})});
  auto g = w.governed();
  auto call = g.async_send(ask("openai", "gpt-4o-mini"));
  CHECK(w.sim("openai").log().empty());  // nothing sent until launched
  auto r = std::move(call)(boost::asio::use_future).get();
  REQUIRE(r);
  CHECK(r->content == completion);

  // The transport's own operation likewise; the attempt is read when it is made.
  const std::string base = w.server->base_url("openai");
  auto attempt = w.http->async_send(transport::Attempt{ask("openai", "gpt-4o-mini"), "openai", "gpt-4o-mini", base,
                                                       "sk-wire-openai-aaaaaaaaaaaa"});
  CHECK(std::move(attempt)(boost::asio::use_future).get().status == 200);
  CHECK(w.sim("openai").log().size() == 2);
}
