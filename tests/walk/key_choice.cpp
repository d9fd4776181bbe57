// The walk's key-choice rules driven directly: cooldowns on a key's view, headroom for a
// load-aware policy, and which keys come back when none can be picked.
#include <governed/walk/key_choice.hpp>

#include <catch2/catch.hpp>

#include <vector>

using namespace governed;
using namespace std::chrono_literals;
using keys::KeyHealth;

namespace {

const Instant key_t0 = Instant{} + 500s;

/// A limit set whose rate dimensions are filled as given.
struct FilledSet {
  double fills[rate_dimensions] = {1, 1, 1, 1, 1, 1};
  double fill(Dimension d, Instant) const { return fills[static_cast<std::size_t>(d)]; }
};

}  // namespace

TEST_CASE("walk::apply_cooldown: a cooling model makes a key read as cooling, unless out longer", "[walk][keys]") {
  keys::KeyView healthy;
  walk::apply_cooldown(healthy, key_t0 + 30s);
  CHECK(healthy.health == KeyHealth::cooling);
  CHECK(healthy.until == key_t0 + 30s);

  keys::KeyView exhausted;
  exhausted.health = KeyHealth::exhausted;
  exhausted.until = key_t0 + 1h;
  walk::apply_cooldown(exhausted, key_t0 + 30s);
  CHECK(exhausted.health == KeyHealth::exhausted);
  CHECK(exhausted.until == key_t0 + 1h);

  keys::KeyView untouched;
  walk::apply_cooldown(untouched, std::nullopt);
  CHECK(untouched.health == KeyHealth::healthy);
}

TEST_CASE("walk::headroom: the least filled rate dimension", "[walk][keys]") {
  FilledSet set;
  CHECK(walk::headroom(set, key_t0) == 1.0);
  set.fills[1] = 0.25;
  set.fills[4] = 0.5;
  CHECK(walk::headroom(set, key_t0) == 0.25);
}

TEST_CASE("walk::for_each_return: cooling and exhausted keys come back, invalid ones never", "[walk][keys]") {
  std::vector<keys::KeyView> views(3);
  views[0].health = KeyHealth::cooling;
  views[0].until = key_t0 + 20s;
  views[1].health = KeyHealth::invalid;
  views[1].until = key_t0 + 5s;
  views[2].health = KeyHealth::exhausted;
  views[2].until = key_t0 + 2h;
  std::vector<Duration> waits;
  CHECK(walk::for_each_return(views, key_t0, [&](Duration d) { waits.push_back(d); }));
  CHECK(waits == std::vector<Duration>{20s, 2h});

  std::vector<keys::KeyView> gone(1);
  gone[0].health = KeyHealth::invalid;
  CHECK_FALSE(walk::for_each_return(gone, key_t0, [&](Duration) { FAIL("an invalid key does not come back"); }));
}
