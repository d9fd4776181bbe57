// Key selection policies: which key each picks, what they skip, the avoided account, seeded
// determinism, and round-robin fairness across threads.
#include <governed/keys.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using governed::Instant;
using governed::Random;
using namespace governed::keys;

namespace {

const Instant now = Instant{} + 1h;

// Keys 10, 11, 12, 13 (the pool's indices differ from the positions on purpose), two accounts.
std::vector<KeyView> four_keys() {
  return {{.index = 10, .account = "org-a"},
          {.index = 11, .account = "org-a"},
          {.index = 12, .account = "org-b"},
          {.index = 13, .account = "org-c"}};
}

template <class P>
std::vector<std::size_t> picks(P& p, std::span<const KeyView> keys, int n, std::uint64_t seed = 1,
                               AvoidAccount avoid = std::nullopt) {
  Random rng{seed};
  std::vector<std::size_t> out;
  for (int i = 0; i < n; ++i) {
    auto k = p.pick(keys, now, rng, avoid);
    out.push_back(k ? *k : std::size_t(-1));
  }
  return out;
}

template <class P>
std::map<std::size_t, int> tally(P& p, std::span<const KeyView> keys, int n, std::uint64_t seed = 1) {
  std::map<std::size_t, int> t;
  for (auto k : picks(p, keys, n, seed)) ++t[k];
  return t;
}

template <class P>
void never_picks_unusable() {
  P p;
  Random rng{3};
  std::vector<KeyView> keys = {{.index = 0, .health = KeyHealth::invalid},
                               {.index = 1, .health = KeyHealth::cooling, .until = now + 1ns},
                               {.index = 2, .health = KeyHealth::exhausted, .until = now + 24h},
                               {.index = 3, .health = KeyHealth::cooling}};  // no stated end
  for (int i = 0; i < 50; ++i) CHECK_FALSE(p.pick(keys, now, rng));
  CHECK_FALSE(p.pick(std::span<const KeyView>{}, now, rng));
  // The moment a cooling or exhausted state ends, the key is back; invalid never is.
  keys[1].until = now;
  keys[2].until = now - 1s;
  for (int i = 0; i < 50; ++i) {
    const auto k = p.pick(keys, now, rng);
    REQUIRE(k);
    CHECK((*k == 1 || *k == 2));
  }
}

template <class P>
void avoids_the_account() {
  P p;
  Random rng{5};
  const auto keys = four_keys();
  // After org-a's daily quota is spent, neither of its keys is picked.
  for (int i = 0; i < 50; ++i) {
    const auto k = p.pick(keys, now, rng, "org-a");
    REQUIRE(k);
    CHECK((*k == 12 || *k == 13));
  }
  // Only siblings left: nothing, rather than a key that shares the spent quota.
  const std::vector<KeyView> siblings = {{.index = 0, .account = "org-a"}, {.index = 1, .account = "org-a"}};
  CHECK_FALSE(p.pick(siblings, now, rng, "org-a"));
  CHECK(p.pick(siblings, now, rng, "org-b"));
}

}  // namespace

TEST_CASE("usable: healthy, or a cooling/exhausted state that has ended; never invalid", "[keys]") {
  CHECK(usable(KeyView{}, now));
  CHECK_FALSE(usable(KeyView{.health = KeyHealth::cooling, .until = now + 1ns}, now));
  CHECK(usable(KeyView{.health = KeyHealth::cooling, .until = now}, now));
  CHECK_FALSE(usable(KeyView{.health = KeyHealth::exhausted, .until = now + 22min}, now));
  CHECK(usable(KeyView{.health = KeyHealth::exhausted, .until = now - 1s}, now));
  CHECK_FALSE(usable(KeyView{.health = KeyHealth::cooling}, now));  // no end given: still cooling
  CHECK_FALSE(usable(KeyView{.health = KeyHealth::invalid, .until = Instant{}}, now));
  CHECK_FALSE(usable(KeyView{.account = "org-a"}, now, "org-a"));
  CHECK(usable(KeyView{.account = "org-a"}, now, "org-b"));
  CHECK(usable(KeyView{.account = "org-a"}, now, std::nullopt));
}

TEST_CASE("every policy skips cooling, exhausted and invalid keys", "[keys]") {
  never_picks_unusable<round_robin>();
  never_picks_unusable<least_loaded>();
  never_picks_unusable<sticky>();
  never_picks_unusable<weighted>();
  never_picks_unusable<governed::keys::random>();
}

TEST_CASE("every policy avoids the exhausted account, and falls back to none, not a sibling", "[keys]") {
  avoids_the_account<round_robin>();
  avoids_the_account<least_loaded>();
  avoids_the_account<sticky>();
  avoids_the_account<weighted>();
  avoids_the_account<governed::keys::random>();
}

TEST_CASE("round_robin: each usable key in turn", "[keys]") {
  round_robin p;
  const auto keys = four_keys();
  CHECK(picks(p, keys, 6) == std::vector<std::size_t>{10, 11, 12, 13, 10, 11});
  // Key 11 cooling: the turn goes round the other three, evenly.
  round_robin q;
  auto some = four_keys();
  some[1].health = KeyHealth::cooling;
  some[1].until = now + 30s;
  CHECK(picks(q, some, 6) == std::vector<std::size_t>{10, 12, 13, 10, 12, 13});
  round_robin r;
  const auto t = tally(r, some, 3000);
  CHECK(t == std::map<std::size_t, int>{{10, 1000}, {12, 1000}, {13, 1000}});
  // A copy carries on from the same turn.
  round_robin copy = p;
  Random rng{1};
  CHECK(copy.pick(keys, now, rng) == p.pick(keys, now, rng));
}

TEST_CASE("least_loaded: the key with the most headroom", "[keys]") {
  least_loaded p;
  auto keys = four_keys();
  keys[0].headroom = 0.2;
  keys[1].headroom = 0.9;
  keys[2].headroom = 0.5;
  keys[3].headroom = 0.7;
  CHECK(picks(p, keys, 5) == std::vector<std::size_t>(5, 11));
  // The roomiest key is cooling: the next roomiest.
  keys[1].health = KeyHealth::cooling;
  keys[1].until = now + 1s;
  CHECK(picks(p, keys, 3) == std::vector<std::size_t>(3, 13));
  // A NaN or out-of-range figure never wins over a real one.
  keys[3].headroom = std::numeric_limits<double>::quiet_NaN();
  keys[0].headroom = -4;
  CHECK(picks(p, keys, 3) == std::vector<std::size_t>(3, 12));
  keys[2].headroom = 0.0;
  keys[0].headroom = 7.0;  // reads as 1.0
  CHECK(picks(p, keys, 3) == std::vector<std::size_t>(3, 10));
}

TEST_CASE("least_loaded: ties are broken at random, the same way for the same seed", "[keys]") {
  least_loaded p;
  const auto keys = four_keys();  // all at headroom 1.0
  const auto t = tally(p, keys, 8000, 11);
  REQUIRE(t.size() == 4);
  for (const auto& [k, n] : t) CHECK(std::abs(n - 2000) < 200);
  CHECK(picks(p, keys, 50, 11) == picks(p, keys, 50, 11));
  CHECK(picks(p, keys, 50, 11) != picks(p, keys, 50, 12));
}

TEST_CASE("sticky: the same key until it fails, then the next one", "[keys]") {
  sticky p;
  auto keys = four_keys();
  CHECK_FALSE(p.current());
  CHECK(picks(p, keys, 5) == std::vector<std::size_t>(5, 10));
  CHECK(p.current() == 10u);
  // Key 10 starts cooling: move to 11 and stay there, even once 10 has recovered.
  keys[0].health = KeyHealth::cooling;
  keys[0].until = now + 10s;
  CHECK(picks(p, keys, 3) == std::vector<std::size_t>(3, 11));
  keys[0].health = KeyHealth::healthy;
  CHECK(picks(p, keys, 3) == std::vector<std::size_t>(3, 11));
  // A failure the pool does not record (a 5xx) still moves it on, to the key after 11.
  p.failed(11);
  CHECK_FALSE(p.current());
  CHECK(picks(p, keys, 3) == std::vector<std::size_t>(3, 12));
  // A failure reported for some other key changes nothing.
  p.failed(10);
  CHECK(picks(p, keys, 1) == std::vector<std::size_t>{12});
  // From the last key it wraps round to the first.
  p.failed(12);
  keys[3].health = KeyHealth::invalid;
  CHECK(picks(p, keys, 2) == std::vector<std::size_t>(2, 10));
  // Its key gone from the candidates: start from the first usable one.
  sticky q = p;
  const std::vector<KeyView> others = {{.index = 20}, {.index = 21}};
  CHECK(picks(q, others, 2) == std::vector<std::size_t>(2, 20));
  // The avoided account moves it too.
  sticky r;
  CHECK(picks(r, four_keys(), 1) == std::vector<std::size_t>{10});
  CHECK(picks(r, four_keys(), 2, 1, "org-a") == std::vector<std::size_t>(2, 12));
}

TEST_CASE("weighted: calls in proportion to the weights", "[keys]") {
  weighted p;
  auto keys = four_keys();
  keys[0].weight = 6;
  keys[1].weight = 2;
  keys[2].weight = 0;  // standby
  keys[3].weight = 0;  // standby
  auto t = tally(p, keys, 40'000, 7);
  CHECK(t.size() == 2);
  CHECK(std::abs(t[10] - 30'000) < 500);  // 75 %, 5 standard deviations ≈ 430
  CHECK(std::abs(t[11] - 10'000) < 500);
  // A skipped key drops out of the sum: with 10 exhausted, 11 takes everything.
  keys[0].health = KeyHealth::exhausted;
  keys[0].until = now + 24h;
  t = tally(p, keys, 1000, 7);
  CHECK(t == std::map<std::size_t, int>{{11, 1000}});
  // No weighted key usable: the standbys share the calls.
  keys[1].health = KeyHealth::invalid;
  t = tally(p, keys, 4000, 7);
  CHECK(t.size() == 2);
  CHECK(std::abs(t[12] - 2000) < 200);
  CHECK(picks(p, keys, 50, 9) == picks(p, keys, 50, 9));
  // Weights at the top of their range do not overflow the sum.
  std::vector<KeyView> heavy(4);
  for (std::size_t i = 0; i < heavy.size(); ++i) {
    heavy[i].index = i;
    heavy[i].weight = std::numeric_limits<std::uint32_t>::max();
  }
  t = tally(p, heavy, 4000, 7);
  CHECK(t.size() == 4);
}

TEST_CASE("random: uniform over the usable keys, reproducible with a seed", "[keys]") {
  governed::keys::random p;
  auto keys = four_keys();
  keys[2].health = KeyHealth::cooling;
  keys[2].until = now + 5s;
  const auto t = tally(p, keys, 30'000, 21);
  CHECK(t.size() == 3);
  for (const auto& [k, n] : t) {
    CHECK(k != 12);
    CHECK(std::abs(n - 10'000) < 450);
  }
  CHECK(picks(p, keys, 100, 21) == picks(p, keys, 100, 21));
  CHECK(picks(p, keys, 100, 21) != picks(p, keys, 100, 22));
}

TEST_CASE("round_robin: threads sharing one policy share the turns out exactly", "[keys][concurrency]") {
  constexpr int threads = 4, per_thread = 10'000, key_count = 8;
  std::vector<KeyView> keys(key_count);
  for (std::size_t i = 0; i < keys.size(); ++i) keys[i].index = i;
  round_robin p;
  std::vector<std::array<int, key_count + 1>> counts(threads);  // the last slot: no key
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      Random rng{static_cast<std::uint64_t>(t)};
      counts[t].fill(0);
      for (int i = 0; i < per_thread; ++i) {
        const auto k = p.pick(keys, now, rng);
        ++counts[t][k ? *k : key_count];
      }
    });
  }
  for (auto& th : pool) th.join();
  std::array<int, key_count + 1> total{};
  for (const auto& c : counts)
    for (std::size_t i = 0; i < total.size(); ++i) total[i] += c[i];
  CHECK(total[key_count] == 0);
  for (int i = 0; i < key_count; ++i) CHECK(total[i] == threads * per_thread / key_count);
}

TEST_CASE("sticky: threads that move at once settle on one key", "[keys][concurrency]") {
  constexpr int threads = 4, per_thread = 2000;
  std::vector<KeyView> keys(8);
  for (std::size_t i = 0; i < keys.size(); ++i) keys[i].index = i;
  keys[0].health = KeyHealth::exhausted;  // the first key is out, so every thread must move
  sticky p;
  std::vector<std::map<std::size_t, int>> seen(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      Random rng{1};
      for (int i = 0; i < per_thread; ++i) {
        const auto k = p.pick(keys, now, rng);
        ++seen[t][k ? *k : 99];
      }
    });
  }
  for (auto& th : pool) th.join();
  for (const auto& s : seen) CHECK(s == std::map<std::size_t, int>{{1, per_thread}});
  CHECK(p.current() == 1u);
}
