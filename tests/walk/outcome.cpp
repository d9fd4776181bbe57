// walk::Outcome driven directly: the events a call says reach the observers and its Response,
// each move to another target is one hop of the call's path, the call is recorded once, and
// its Response is built where the driver asked.
#include <governed/walk/outcome.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace governed;

namespace {

Event outcome_event(EventKind kind, std::string_view message) {
  return Event::make(kind, "openai", "gpt-4o", {}, message);
}

/// What a call hook saw of one record: its hops and keys, copied out of the record's views.
struct HookSaw {
  int calls = 0;
  std::vector<std::string> hops, keys;
  std::uint32_t fallbacks = 0;
};

void outcome_watch(CallHook& hook, HookSaw& saw) {
  hook.install([&saw](const CallRecord& r) {
    ++saw.calls;
    saw.fallbacks = r.fallbacks;
    for (const auto& h : r.hops) saw.hops.push_back(std::string(h.model) + ": " + std::string(h.reason));
    for (auto k : r.keys) saw.keys.emplace_back(k);
  });
}

CallRecord outcome_record(const walk::Outcome& o, bool success) {
  return call_record(CallEnd{"openai", "gpt-4o", success, false, {}, 0, {}, {}}, o.counts(), {}, {}, {}, {});
}

}  // namespace

TEST_CASE("walk::Outcome: what the call says reaches the observers at once and the Response at its end",
          "[walk][outcome]") {
  Observers observers;
  std::vector<std::string> heard;
  observers.install([&](const Event& e) { heard.push_back(e.message); });
  walk::Outcome o{observers, {}, {}};
  o.say(outcome_event(EventKind::retried, "Retrying."));
  CHECK(heard == std::vector<std::string>{"Retrying."});
  Response& r = o.fresh_response();
  r.content = "hello";
  o.answered(r);
  CHECK(o.done());
  auto result = o.take_result();
  REQUIRE(result);
  CHECK(result->content == "hello");
  REQUIRE(result->events.size() == 1);
  CHECK(result->events[0].message == "Retrying.");
}

TEST_CASE("walk::Outcome: the outcome is built in the driver's slot when it asked for it", "[walk][outcome]") {
  Result<Response> slot;
  Observers observers;
  walk::Outcome o{observers, {}, {}};
  o.deliver_into(slot);
  Response& r = o.fresh_response();
  CHECK(&r == &*slot);
  r.content = "in place";
  o.answered(r);
  REQUIRE(slot);
  CHECK(slot->content == "in place");

  walk::Outcome failing{observers, {}, {}};
  Result<Response> failed_slot;
  failing.deliver_into(failed_slot);
  failing.failed(Error{Errc::timed_out, "too late", {}});
  REQUIRE_FALSE(failed_slot);
  CHECK(failed_slot.error().code == Errc::timed_out);
}

TEST_CASE("walk::Outcome: a call that has not ended has no result to take", "[walk][outcome]") {
  Observers observers;
  walk::Outcome o{observers, {}, {}};
  CHECK_FALSE(o.done());
  auto r = o.take_result();
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::invalid_argument);
}

TEST_CASE("walk::Outcome: a cached Response carries the events said of the call, not its own",
          "[walk][outcome]") {
  Observers observers;
  walk::Outcome o{observers, {}, {}};
  o.say(outcome_event(EventKind::cache_hit, "From the cache."));
  Response cached;
  cached.events.push_back(outcome_event(EventKind::retried, "an old call's retry"));
  o.answered_with(std::move(cached));
  auto r = o.take_result();
  REQUIRE(r);
  REQUIRE(r->events.size() == 1);
  CHECK(r->events[0].kind == EventKind::cache_hit);
}

TEST_CASE("walk::Outcome: one hop per move, each with what decided it", "[walk][outcome]") {
  Observers observers;
  Statistics stats;
  CallHook hook;
  HookSaw saw;
  outcome_watch(hook, saw);
  walk::Outcome o{observers, {}, {}};

  o.entered_target();
  o.used_key("fp-a");
  o.say(outcome_event(EventKind::cooled, "gpt-4o cools for 30s."));
  o.left_target("openai", "gpt-4o", {}, "not offered");
  o.moved();
  o.entered_target();
  o.used_key("fp-b");
  // Nothing was said of this target: the reason it could not serve is the hop's.
  o.left_target("openai", "gpt-4o-mini", {}, "no key configured");
  o.moved();
  o.entered_target();
  o.left_target("anthropic", "claude", "given reason", "ignored");  // left last, never moved from

  CHECK(o.counts().fallbacks == 2);
  CallRecord rec = outcome_record(o, false);
  CHECK(o.record(rec, stats, nullptr, nullptr, hook, [](CallRecord&) {}));
  REQUIRE(saw.calls == 1);
  CHECK(saw.fallbacks == 2);
  CHECK(saw.hops == std::vector<std::string>{"gpt-4o: gpt-4o cools for 30s.", "gpt-4o-mini: no key configured"});
  CHECK(saw.keys == std::vector<std::string>{"fp-a", "fp-b"});
}

TEST_CASE("walk::Outcome: a call is recorded once, into the series it reached", "[walk][outcome]") {
  Statistics stats;
  CallHook hook;
  HookSaw saw;
  outcome_watch(hook, saw);
  Series& model = stats.model("openai", "gpt-4o");
  Series& provider = stats.provider("openai");
  Observers observers;
  walk::Outcome o{observers, {}, {}};
  bool completed = false;
  CallRecord rec = outcome_record(o, true);
  CHECK(o.record(rec, stats, &model, &provider, hook, [&](CallRecord&) { completed = true; }));
  CHECK(o.recorded());
  CHECK_FALSE(o.record(rec, stats, &model, &provider, hook, [](CallRecord&) {}));
  CHECK(model.requests.load() == 1);
  CHECK(provider.requests.load() == 1);
  CHECK(saw.calls == 1);
  CHECK(completed);
}

TEST_CASE("walk::Outcome: with no call hook the record is counted and nothing is completed for one",
          "[walk][outcome]") {
  Statistics stats;
  CallHook hook;
  Observers observers;
  walk::Outcome o{observers, {}, {}};
  bool completed = false;
  CallRecord rec = outcome_record(o, false);
  CHECK(o.record(rec, stats, nullptr, nullptr, hook, [&](CallRecord&) { completed = true; }));
  CHECK_FALSE(completed);
  CHECK(stats.model("openai", "gpt-4o").failures.load() == 1);
}

TEST_CASE("walk::Outcome: a failed call's record counts what a broken-off stream was charged", "[walk][outcome]") {
  Observers observers;
  walk::Outcome o{observers, {}, {}};
  CHECK(o.failure("openai", "gpt-4o", Errc::io_error, "broke off").cost == 0.0);
  providers::Usage used;
  used.output_tokens = 40;
  o.charged(used, 0.25);
  const CallEnd end = o.failure("openai", "gpt-4o", Errc::io_error, "broke off");
  CHECK_FALSE(end.success);
  CHECK(end.usage.output_tokens == 40);
  CHECK(end.cost == 0.25);
  CHECK(end.error == Errc::io_error);
}

TEST_CASE("walk::Outcome: a note names the call's task and keeps the configured secrets out of its words",
          "[walk][outcome]") {
  Observers observers;
  std::vector<Event> seen;
  observers.install([&seen](const Event& e) { seen.push_back(e); });
  const std::vector<std::string> secrets{"sk-test-outcome-secret-aaaaaaaaaaaaaaaa"};
  walk::Outcome o{observers, secrets, "scraper"};
  o.note(EventKind::key_invalid, "openai", "gpt-4o", "The key sk-test-outcome-secret-aaaaaaaaaaaaaaaa was refused.",
         WallTime{} + std::chrono::seconds{5}, std::chrono::seconds{3}, "fp-1234");
  REQUIRE(seen.size() == 1);
  REQUIRE(o.events().size() == 1);
  const Event& e = o.events().front();
  CHECK(e.kind == EventKind::key_invalid);
  CHECK(e.provider == "openai");
  CHECK(e.model == "gpt-4o");
  CHECK(e.task == "scraper");
  CHECK(e.message.find("sk-test-outcome-secret") == std::string::npos);
  CHECK(e.wait == std::optional<Duration>(std::chrono::seconds{3}));
  CHECK(e.key_fingerprint == "fp-1234");
  CHECK(e.at == WallTime{} + std::chrono::seconds{5});
  CHECK(seen.front().message == e.message);
}
