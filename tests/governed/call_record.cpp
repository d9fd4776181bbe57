// The call hook: exactly one whole CallRecord per call — a success, a failure, a cache hit, a
// cancellation — with what the call did: its trace, the keys it used, each move to another
// target and why, its attempts, its waits (exact on the manual clock) and where the budgets
// stood.
#include "world.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace governed;
using namespace governed::test;
using namespace std::chrono_literals;

namespace {

/// A CallRecord with its views copied: what a hook that keeps records does.
struct KeptRecord {
  std::string provider, model, request_provider, request_model, task_id;
  bool success = false, cache_hit = false, cancelled = false;
  std::optional<Errc> error;
  std::string error_message;
  TraceId trace_id;
  SpanId span_id;
  std::uint32_t attempts = 0, fallbacks = 0;
  Duration waited{0}, backed_off{0};
  std::vector<std::string> keys;
  struct Hop {
    std::string provider, model, reason;
  };
  std::vector<Hop> hops;
  BudgetState budget;
};

/// Installs a hook on `w`'s State keeping every record.
std::vector<KeptRecord>& keep_records(World& w) {
  auto kept = std::make_shared<std::vector<KeptRecord>>();
  w.state->call_hook().install([kept](const CallRecord& r) {
    KeptRecord k{std::string(r.provider), std::string(r.model), std::string(r.request_provider),
                 std::string(r.request_model), std::string(r.task_id), r.success, r.cache_hit, r.cancelled, r.error,
                 std::string(r.error_message), r.trace_id, r.span_id, r.attempts, r.fallbacks, r.waited, r.backed_off,
                 {}, {}, r.budget};
    for (auto fp : r.keys) k.keys.emplace_back(fp);
    for (const auto& h : r.hops) k.hops.push_back({std::string(h.provider), std::string(h.model), std::string(h.reason)});
    kept->push_back(std::move(k));
  });
  static std::vector<std::shared_ptr<std::vector<KeptRecord>>> alive;  // outlives the test's State
  alive.push_back(kept);
  return *kept;
}

StateConfig openai_on_tier1() {
  StateConfig c;
  c.providers["openai"] = ProviderSettings{.tier = "tier1"};
  return c;
}

/// One request a minute (2 RPM, no headroom): a second call waits 60 s.
StateConfig one_request_a_minute() {
  StateConfig c;
  c.providers["openai"] = ProviderSettings{.tier = "tier1", .rpm = 2, .tpm = 0, .headroom = 0.0};
  return c;
}

void forbid_gpt4o(sim::Config& c) {
  if (c.provider == "openai")
    for (auto& k : c.keys) k.forbidden_models = {"gpt-4o"};
}

}  // namespace

TEST_CASE("a successful call hands the hook one record with its trace, key and attempts", "[governed][call_hook]") {
  World w(World::default_keys(), openai_on_tier1(), 1);
  auto& records = keep_records(w);
  Request req = ask("openai", "gpt-4o");
  req.task = "worker";
  req.task_id = "job-1";
  auto r = w.governed().send(req);
  REQUIRE(r);
  REQUIRE(records.size() == 1);
  const auto& rec = records[0];
  CHECK(rec.success);
  CHECK(rec.provider == "openai");
  CHECK(rec.model == "gpt-4o");
  CHECK(rec.request_provider == "openai");
  CHECK(rec.request_model == "gpt-4o");
  CHECK(rec.task_id == "job-1");
  CHECK(rec.trace_id == r->trace_id);
  auto sent = parse_traceparent(w.sim("openai").log().at(0).traceparent);
  REQUIRE(sent);
  CHECK(rec.span_id == sent->parent_id);  // the call's span is the provider's parent
  CHECK(rec.attempts == 1);
  CHECK(rec.keys == std::vector<std::string>{r->key_fingerprint});
  CHECK(rec.hops.empty());
  CHECK(rec.waited == 0s);
  CHECK(rec.backed_off == 0s);
  CHECK_FALSE(rec.cancelled);
  CHECK(rec.budget.task_calls == 1);
  CHECK(rec.budget.task_call_limit == 20);
  CHECK_FALSE(rec.budget.day_limit_usd);  // no spend budget configured
}

TEST_CASE("a call that falls back after a 403 records the hop with the reason that decided it", "[governed][call_hook]") {
  World w(World::default_keys(), openai_on_tier1(), 1, forbid_gpt4o);
  auto& records = keep_records(w);
  auto r = w.governed().send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->model == "gpt-4o-mini");
  REQUIRE(records.size() == 1);
  const auto& rec = records[0];
  CHECK(rec.attempts == 2);
  CHECK(rec.fallbacks == 1);
  REQUIRE(rec.hops.size() == 1);
  CHECK(rec.hops[0].provider == "openai");
  CHECK(rec.hops[0].model == "gpt-4o");
  // The reason is the message of the `failed` event the 403 gave.
  std::string failed_message;
  for (const auto& e : r->events)
    if (e.kind == EventKind::failed) failed_message = e.message;
  CHECK_FALSE(failed_message.empty());
  CHECK(rec.hops[0].reason == failed_message);
  CHECK(rec.keys.size() == 1);  // one OpenAI key served both models
}

TEST_CASE("a call that finds everything rate limited hands the hook one failed record", "[governed][call_hook]") {
  World w(World::default_keys(), one_request_a_minute(), 1);
  auto& records = keep_records(w);
  auto g = w.governed<fallback::none>();
  REQUIRE(g.send(ask("openai", "gpt-4o")));
  Request impatient = ask("openai", "gpt-4o");
  impatient.max_wait = 1s;
  auto r = g.send(impatient);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::all_rate_limited);
  REQUIRE(records.size() == 2);
  const auto& rec = records[1];
  CHECK_FALSE(rec.success);
  CHECK(rec.error == Errc::all_rate_limited);
  CHECK(rec.error_message == r.error().message);
  CHECK(rec.attempts == 0);
  CHECK(rec.trace_id.valid());
}

TEST_CASE("the hook's waits are the admission wait and the backoff sleeps", "[governed][call_hook]") {
  World w(World::default_keys(), one_request_a_minute(), 1);
  auto& records = keep_records(w);
  auto g = w.governed<fallback::none>();
  REQUIRE(g.send(ask("openai", "gpt-4o")));
  // The second call waits 60 s for the limit, meets a 503, sleeps 4 s, waits for the limit
  // again (the 503 took the minute's request) and is answered.
  w.sim("openai").overload("gpt-4o", w.clock.now() + 61s);
  auto r = g.send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  REQUIRE(records.size() == 2);
  const auto& rec = records[1];
  CHECK(rec.attempts == 2);
  CHECK(rec.backed_off == 4s);
  CHECK(rec.waited == 60s + 56s);
  CHECK(r->latency == 120s);
}

TEST_CASE("a cache hit hands the hook one record of its own", "[governed][call_hook]") {
  World w(World::default_keys(), openai_on_tier1(), 1);
  auto& records = keep_records(w);
  Request req = ask("openai", "gpt-4o");
  req.cacheable = true;
  REQUIRE(w.governed().send(req));
  auto hit = w.governed().send(req);
  REQUIRE(hit);
  CHECK(hit->from_cache);
  REQUIRE(records.size() == 2);
  CHECK(records[1].cache_hit);
  CHECK(records[1].success);
  CHECK(records[1].attempts == 0);
  CHECK(records[1].trace_id == hit->trace_id);
  CHECK(records[1].trace_id != records[0].trace_id);
}

TEST_CASE("a cancelled call hands the hook one record, marked cancelled, with its wait", "[governed][call_hook]") {
  World w(World::default_keys(), one_request_a_minute(), 0);
  auto& records = keep_records(w);
  boost::asio::io_context ioc;
  auto t = std::make_shared<Sim>(w.clock, w.providers, ioc.get_executor());
  Governed<Sim, Clock, fallback::none> g(w.state, t, {}, {}, ioc.get_executor());
  REQUIRE(g.send(ask("openai", "gpt-4o")));

  boost::asio::cancellation_signal signal;
  std::optional<Result<Response>> got;
  g.async_send(ask("openai", "gpt-4o"),
               boost::asio::bind_cancellation_slot(signal.slot(), [&](Result<Response> r) { got = std::move(r); }));
  ioc.restart();
  ioc.poll();
  w.clock.advance(10s);
  ioc.restart();
  ioc.poll();
  signal.emit(boost::asio::cancellation_type::terminal);
  ioc.restart();
  ioc.poll();
  REQUIRE(got);
  REQUIRE_FALSE(*got);
  CHECK(got->error().code == Errc::cancelled);
  REQUIRE(records.size() == 2);
  CHECK(records[1].cancelled);
  CHECK(records[1].error == Errc::cancelled);
  CHECK(records[1].waited == 10s);
  CHECK(records[1].attempts == 0);
  ioc.restart();
  ioc.poll();
  CHECK(records.size() == 2);  // exactly once
}

TEST_CASE("the hook's record says where the spend budget stands", "[governed][call_hook]") {
  StateConfig c = openai_on_tier1();
  c.spend = SpendBudgetConfig{.daily_usd = 10.0, .monthly_usd = 100.0};
  World w(World::default_keys(), std::move(c), 1);
  auto& records = keep_records(w);
  auto r = w.governed().send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  REQUIRE(records.size() == 1);
  const auto& b = records[0].budget;
  CHECK(b.day_limit_usd == 10.0);
  CHECK(b.month_limit_usd == 100.0);
  REQUIRE(b.spent_today_usd);
  CHECK(*b.spent_today_usd == Approx(r->cost.total_cost));
  CHECK(b.spent_this_month_usd == b.spent_today_usd);
  CHECK_FALSE(b.task_calls);  // the call names no task
}
