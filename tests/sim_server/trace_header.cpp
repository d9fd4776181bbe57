// The HTTP transport sends a call's trace context as the `traceparent` header: governed-sim's
// server logs what arrived.
#include <governed/sim/server.hpp>

#include <governed/governed.hpp>
#include <governed/transport/http.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using namespace governed;
using namespace std::chrono_literals;

TEST_CASE("the http transport sends the call's traceparent header", "[sim_server][trace]") {
  using TraceClock = clock::manual;
  TraceClock clock{Instant{1h}, TraceClock::default_wall_start, 1};
  sim::Config sc;
  sc.provider = "openai";
  sc.keys = {{.key = "sk-trace-openai-aaaaaaaaaaaaaaaa", .account = "org-trace"}};
  sc.limits = {.rpm = 1000};
  sc.latency = {.fixed = Duration::zero(), .per_output_token = Duration::zero()};
  auto provider = sim::Provider::create(std::move(sc)).value();
  sim::ServerOptions o;
  o.wait_latency = false;
  auto server = sim::Server<TraceClock>::create({provider}, clock, o).value();

  StateConfig config;
  config.providers["openai"] = ProviderSettings{.tier = "tier1", .base_url = server->base_url("openai")};
  config.keys.keys = {{"openai", "sk-trace-openai-aaaaaaaaaaaaaaaa", "org-trace"}};
  config.keys.persist = false;
  auto state = State<limiter::gcra, TraceClock>::create(std::move(config), clock).value();
  Governed<transport::http, TraceClock, fallback::none> g(state, std::make_shared<transport::http>());

  Request req;
  req.provider = "openai";
  req.model = "gpt-4o";
  req.messages = {{"user", "Say hello."}};
  req.max_tokens = 16;
  req.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  auto r = g.send(req);
  REQUIRE(r);
  const auto log = provider->log();
  REQUIRE(log.size() == 1);
  auto arrived = parse_traceparent(log[0].traceparent);
  REQUIRE(arrived);
  CHECK(arrived->trace_id == r->trace_id);
  CHECK(arrived->trace_id.hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(arrived->parent_id.hex() != "00f067aa0ba902b7");
}
