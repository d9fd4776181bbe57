#include <governed/cooldowns.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using governed::Cooldowns;
using governed::Instant;

TEST_CASE("a cooled model is skipped until its time, then tried again", "[cooldowns]") {
  Cooldowns c;
  // Groq's TPD 429 asked for 22m46.848s.
  const Instant until = Instant{} + 1366848ms;
  c.cool({"groq", "llama-3.3-70b-versatile"}, until, "Rate limit reached for GROQ", Instant{});
  CHECK(c.cooling({"groq", "llama-3.3-70b-versatile"}, Instant{}));
  CHECK(c.cooling_until({"groq", "llama-3.3-70b-versatile"}, Instant{20min}) == until);
  CHECK_FALSE(c.cooling({"groq", "llama-3.1-70b-versatile"}, Instant{}));
  CHECK_FALSE(c.cooling({"openai", "llama-3.3-70b-versatile"}, Instant{}));
  CHECK_FALSE(c.cooling({"groq", "llama-3.3-70b-versatile"}, until));
  CHECK(c.active(until).empty());
}

TEST_CASE("a cooldown for one account leaves the others free; one for the model binds all",
          "[cooldowns]") {
  Cooldowns c;
  c.cool({"openai", "gpt-4o", "org-a"}, Instant{1h}, "daily", Instant{});
  CHECK(c.cooling({"openai", "gpt-4o", "org-a"}, Instant{}));
  CHECK_FALSE(c.cooling({"openai", "gpt-4o", "org-b"}, Instant{}));
  c.cool({"openai", "gpt-4o"}, Instant{10min}, "overloaded", Instant{});
  CHECK(c.cooling_until({"openai", "gpt-4o", "org-b"}, Instant{}) == Instant{10min});
  CHECK(c.cooling_until({"openai", "gpt-4o", "org-a"}, Instant{}) == Instant{1h});  // the later
}

TEST_CASE("cooling again keeps the later time, and expired entries drop out", "[cooldowns]") {
  Cooldowns c;
  c.cool({"anthropic", "claude-3-5-haiku-20241022"}, Instant{5min}, "first", Instant{});
  c.cool({"anthropic", "claude-3-5-haiku-20241022"}, Instant{2min}, "shorter", Instant{});
  REQUIRE(c.active(Instant{}).size() == 1);
  CHECK(c.active(Instant{})[0].until == Instant{5min});
  CHECK(c.active(Instant{})[0].reason == "first");
  c.cool({"openai", "gpt-4o"}, Instant{7min}, "x", Instant{});
  CHECK(c.next_expiry(Instant{}) == Instant{5min});
  CHECK(c.next_expiry(Instant{6min}) == Instant{7min});
  CHECK_FALSE(c.next_expiry(Instant{7min}));
  c.cool({"groq", "gemma2-9b-it"}, Instant{9min}, "y", Instant{8min});  // purges the expired
  CHECK(c.active(Instant{8min}).size() == 1);
  c.clear({"groq", "gemma2-9b-it"});
  CHECK(c.active(Instant{8min}).empty());
}

TEST_CASE("cooldowns are shared safely between threads", "[cooldowns][concurrency]") {
  Cooldowns c;
  std::atomic<int> seen{0};  // readers look while writers cool
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string model = "m" + std::to_string(i % 16);
        if (t % 2 == 0) c.cool({"p", model}, Instant{std::chrono::seconds{i}}, "r", Instant{});
        else if (c.cooling({"p", model}, Instant{})) ++seen;
      }
    });
  }
  for (auto& th : pool) th.join();
  // Each model keeps the latest time any writer gave it: i = 1984 + m seconds.
  const auto active = c.active(Instant{});
  REQUIRE(active.size() == 16);
  for (const auto& e : active) {
    const int m = std::stoi(e.model.substr(1));
    CHECK(e.until == Instant{std::chrono::seconds{1984 + m}});
  }
  CHECK(seen.load() <= 2 * 2000);
}
