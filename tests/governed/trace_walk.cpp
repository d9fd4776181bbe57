// W3C trace context on the call path: a call joins its caller's trace or starts one, draws a
// span of its own, and every attempt carries `traceparent` to the provider; a malformed one
// is refused before anything is sent. Through the simulated transport, whose provider logs
// the header it received.
#include "world.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace governed;
using namespace governed::test;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view callers_trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

StateConfig openai_tier1() {
  StateConfig c;
  c.providers["openai"] = ProviderSettings{.tier = "tier1"};
  return c;
}

}  // namespace

TEST_CASE("a call without a traceparent starts a trace and sends it to the provider", "[governed][trace]") {
  World w(World::default_keys(), openai_tier1(), 1);
  auto r = w.governed().send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->trace_id.valid());
  const auto log = w.sim("openai").log();
  REQUIRE(log.size() == 1);
  auto sent = parse_traceparent(log[0].traceparent);
  REQUIRE(sent);
  CHECK(sent->trace_id == r->trace_id);
  CHECK(sent->flags == 0x01);

  auto again = w.governed().send(ask("openai", "gpt-4o"));
  REQUIRE(again);
  CHECK(again->trace_id != r->trace_id);  // each call its own trace
}

TEST_CASE("a call joins the caller's trace with a span of its own", "[governed][trace]") {
  World w(World::default_keys(), openai_tier1(), 1);
  Request req = ask("openai", "gpt-4o");
  req.traceparent = callers_trace;
  auto r = w.governed().send(req);
  REQUIRE(r);
  CHECK(r->trace_id.hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  const auto log = w.sim("openai").log();
  REQUIRE(log.size() == 1);
  const std::string& sent = log[0].traceparent;
  REQUIRE(sent.size() == traceparent_size);
  CHECK(sent.substr(0, 36) == "00-4bf92f3577b34da6a3ce929d0e0e4736-");
  CHECK(sent.substr(36, 16) != "00f067aa0ba902b7");  // the call's span, not the caller's
  CHECK(sent.substr(52) == "-01");

  req.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";  // not sampled
  REQUIRE(w.governed().send(req));
  CHECK(w.sim("openai").log().back().traceparent.substr(52) == "-00");
}

TEST_CASE("every attempt of a call carries the same traceparent", "[governed][trace]") {
  World w(World::default_keys(), openai_tier1(), 1);
  w.sim("openai").overload("gpt-4o", w.clock.now() + 1s);
  auto r = w.governed<fallback::none>().send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  const auto log = w.sim("openai").log();
  REQUIRE(log.size() == 2);
  CHECK_FALSE(log[0].traceparent.empty());
  CHECK(log[0].traceparent == log[1].traceparent);
  // The response's latency is the whole call: the 4 s backoff included.
  CHECK(r->latency == 4s);
}

TEST_CASE("a malformed traceparent is refused before anything is sent", "[governed][trace]") {
  World w(World::default_keys(), openai_tier1(), 1);
  Request req = ask("openai", "gpt-4o");
  req.traceparent = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01";  // upper case
  auto r = w.governed().send(req);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::invalid_argument);
  CHECK_THAT(r.error().message, Catch::Contains("traceparent is not a W3C trace context"));
  CHECK(w.sim("openai").log().empty());
}
