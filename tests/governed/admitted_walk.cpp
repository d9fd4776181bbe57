// EventKind::admitted: an observer hears of every attempt the limit set admitted; the
// Response's events, which hold only what is beyond the plain path, do not.
#include "world.hpp"

#include <catch2/catch.hpp>

#include <mutex>
#include <vector>

using namespace governed;
using namespace governed::test;
using namespace std::chrono_literals;

TEST_CASE("an observer sees admitted once per attempt admitted", "[governed][events]") {
  StateConfig c;
  c.providers["openai"] = ProviderSettings{.tier = "tier1"};
  World w(World::default_keys(), std::move(c), 1);
  std::vector<Event> heard;
  w.state->observers().install([&](const Event& e) { heard.push_back(e); });
  // Overloaded for 1 s: the first attempt meets a 503, the retry 4 s later is answered.
  w.sim("openai").overload("gpt-4o", w.clock.now() + 1s);
  auto r = w.governed<fallback::none>().send(ask("openai", "gpt-4o"));
  REQUIRE(r);
  CHECK(r->attempts == 2);
  CHECK(count(heard, EventKind::admitted) == 2);
  for (const auto& e : heard)
    if (e.kind == EventKind::admitted) {
      CHECK(e.provider == "openai");
      CHECK(e.model == "gpt-4o");
      CHECK_THAT(e.message, Catch::Contains("Sending to"));
    }
  CHECK(count(r->events, EventKind::admitted) == 0);
}
