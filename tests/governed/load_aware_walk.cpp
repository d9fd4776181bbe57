// A key policy of the user's own that reads each key's load gets what keys::least_loaded gets:
// the walk fills KeyView::headroom for every policy that declares itself load-aware, whatever
// its type, and for no other.
#include "world.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <span>
#include <vector>

using namespace governed;
using namespace governed::test;

namespace {

const std::vector<SimKey> openai_two_accounts{{"openai", "sk-test-openai-key-aaaaaaaaaaaaaaaaaaaa", "org-openai-a"},
                                              {"openai", "sk-test-openai-key-bbbbbbbbbbbbbbbbbbbb", "org-openai-b"}};

/// The headroom of each key, by pool index, that one pick was shown.
using SeenHeadroom = std::vector<double>;

/// A user's key policy: it picks as least_loaded does and writes down what each pick saw.
/// `LoadAware` says whether it declares that it reads the load.
template <bool LoadAware>
struct headroom_recorder {
  using family = governed::family::keys;
  static constexpr bool load_aware = LoadAware;

  std::shared_ptr<std::vector<SeenHeadroom>> seen = std::make_shared<std::vector<SeenHeadroom>>();

  std::optional<std::size_t> pick(std::span<const keys::KeyView> views, Instant now, Random& rng,
                                  keys::AvoidAccount avoid = std::nullopt) const noexcept {
    SeenHeadroom row(views.size());
    for (const auto& v : views)
      if (v.index < row.size()) row[v.index] = v.headroom;
    seen->push_back(std::move(row));
    return keys::least_loaded{}.pick(views, now, rng, avoid);
  }
  void failed(std::size_t) noexcept {}
};

static_assert(keys::LoadAware<keys::least_loaded>);
static_assert(keys::LoadAware<headroom_recorder<true>>);
static_assert(!keys::LoadAware<headroom_recorder<false>>);
static_assert(!keys::LoadAware<keys::round_robin>);

/// The pool index of the key each request reached the simulated provider with.
std::vector<std::size_t> key_per_request(const std::vector<sim::LogEntry>& log) {
  std::vector<std::size_t> out;
  for (const auto& e : log) out.push_back(e.key_index.value_or(999));
  return out;
}

constexpr int load_aware_calls = 8;

}  // namespace

TEST_CASE("a load-aware key policy of the user's own is shown each key's load, as least_loaded is",
          "[governed][keys]") {
  World mine(openai_two_accounts);
  const headroom_recorder<true> recorder;
  auto g = mine.governed<fallback::none>().with(recorder);
  World reference(openai_two_accounts);
  auto least = reference.governed<fallback::none, keys::least_loaded>();
  for (int i = 0; i < load_aware_calls; ++i) {
    REQUIRE(g.send(ask("openai", "gpt-4o")));
    REQUIRE(least.send(ask("openai", "gpt-4o")));
  }

  const auto& seen = *recorder.seen;
  REQUIRE(seen.size() == load_aware_calls);
  // Before any call no limit set holds anything: both keys are wholly free.
  CHECK(seen[0] == SeenHeadroom{1.0, 1.0});
  // After it, the key it went out on has less room than the other, so the next call goes to
  // the other account.
  const auto sent = key_per_request(mine.sim("openai").log());
  REQUIRE(sent.size() == load_aware_calls);
  CHECK(seen[1][sent[0]] < 1.0);
  CHECK(seen[1][1 - sent[0]] == 1.0);
  CHECK(sent[1] == 1 - sent[0]);
  // Shown the same figures, the user's policy picks key for key as least_loaded does.
  CHECK(sent == key_per_request(reference.sim("openai").log()));
}

TEST_CASE("a key policy that does not declare itself load-aware is shown every key at full headroom",
          "[governed][keys]") {
  World w(openai_two_accounts);
  const headroom_recorder<false> recorder;
  auto g = w.governed<fallback::none>().with(recorder);
  for (int i = 0; i < 3; ++i) REQUIRE(g.send(ask("openai", "gpt-4o")));
  REQUIRE(recorder.seen->size() == 3);
  for (const auto& row : *recorder.seen) CHECK(row == SeenHeadroom{1.0, 1.0});
}
