#include <governed/keys/pool.hpp>

#include <governed/clock/manual.hpp>
#include <governed/keys/health_file.hpp>
#include <governed/keys/round_robin.hpp>
#include <governed/providers/table.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

using namespace governed;
using namespace governed::keys;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct PoolDir {
  fs::path path;
  PoolDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("governed-pool-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~PoolDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path file() const { return path / "key-health.json"; }
};

std::string read_pool_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Shaped like real keys; none is real.
const std::string openai_a1 = "sk-proj-A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0";
const std::string openai_a2 = "sk-proj-Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2H1g0";
const std::string openai_b1 = "sk-proj-Qq11Ww22Ee33Rr44Tt55Yy66Uu77Ii88Oo99Pp00";
const std::string groq_a = "gsk_4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a";
const std::string org_a = "org-AAAAaaaaBBBBbbbbCCCC";
const std::string org_b = "org-DDDDddddEEEEeeeeFFFF";

PoolConfig memory_only(std::vector<KeyConfig> keys) {
  PoolConfig c;
  c.keys = std::move(keys);
  c.persist = false;
  return c;
}

PoolConfig on_file(std::vector<KeyConfig> keys, const fs::path& file, std::vector<std::string>* warnings = nullptr) {
  PoolConfig c;
  c.keys = std::move(keys);
  c.state_file = file;
  if (warnings) c.on_warning = [warnings](std::string_view w) { warnings->emplace_back(w); };
  return c;
}

std::vector<KeyConfig> three_openai_one_groq() {
  return {{"openai", openai_a1, org_a}, {"openai", openai_a2, org_a}, {"openai", openai_b1, org_b},
          {"groq", groq_a, org_a}};
}

}  // namespace

TEST_CASE("fingerprint: prefix class and 12 hex digits of SHA-1, never the key", "[keys][fingerprint]") {
  // SHA-1("abc") = a9993e364706816aba3e25717850c26c9cd0d89d (FIPS 180-2, appendix A).
  CHECK(fingerprint("abc") == "…a9993e364706");
  const std::string fp = fingerprint(openai_a1);
  CHECK(fp.starts_with("sk-…"));
  CHECK(fp.size() == std::string("sk-…").size() + fingerprint_digits);
  CHECK(fingerprint(groq_a).starts_with("gsk_…"));
  CHECK(fingerprint("0123456789abcdef0123456789abcdef").starts_with("…"));  // Azure-shaped: no prefix
  CHECK(fingerprint(openai_a1) == fp);                                       // stable
  CHECK(fingerprint(openai_a2) != fp);
  for (const std::string& key : {openai_a1, openai_a2, groq_a, std::string("0123456789abcdef0123456789abcdef"),
                                 std::string("sk-"), std::string("x")}) {
    const std::string f = fingerprint(key);
    INFO(f);
    CHECK(f != key);
    CHECK(f.find(key) == std::string::npos);
    // Nor any 6 characters of the key after its public prefix.
    const auto prefix = providers::detail::secret_prefix(key).value_or("");
    if (key.size() >= prefix.size() + 6) CHECK(f.find(key.substr(prefix.size(), 6)) == std::string::npos);
  }
  // The redactor leaves a fingerprint alone: it is safe to print.
  CHECK(providers::redact(fp) == fp);
}

TEST_CASE("pool: configuration errors are caught at open", "[keys][pool]") {
  constexpr WallTime now{std::chrono::seconds{1735689600}};
  CHECK(Pool::open(memory_only({}), now).error().code == Errc::invalid_argument);
  CHECK(Pool::open(memory_only({{"", openai_a1}}), now).error().code == Errc::invalid_argument);
  CHECK(Pool::open(memory_only({{"openai", ""}}), now).error().code == Errc::invalid_argument);
  CHECK(Pool::open(memory_only({{"openai", openai_a1, org_a, 0}}), now).error().code == Errc::invalid_argument);
  PoolConfig impatient = memory_only({{"openai", openai_a1}});
  impatient.lock_wait = -1ms;
  CHECK(Pool::open(impatient, now).error().message == "the key pool's lock_wait must not be negative");
  auto dup = Pool::open(memory_only({{"openai", openai_a1}, {"openai", openai_a1}}), now);
  REQUIRE_FALSE(dup);
  CHECK(dup.error().message == "key 1 of the pool (openai) repeats key 0");
}

TEST_CASE("pool: cooling, exhausted and invalid, and their ends on the clock", "[keys][pool]") {
  clock::manual clk;
  auto pool = Pool::open(memory_only(three_openai_one_groq()), clk.wall_now());
  REQUIRE(pool);
  const auto t0 = clk.wall_now();
  for (std::size_t i = 0; i < pool->size(); ++i) CHECK(pool->health(i, t0) == KeyHealth::healthy);

  // Cooling for 20 s, then healthy again with no write.
  REQUIRE(pool->mark_cooling(2, t0 + 20s, t0));
  CHECK(pool->view(2, t0).health == KeyHealth::cooling);
  CHECK(pool->view(2, t0).until == t0 + 20s);
  clk.advance(19s);
  CHECK(pool->health(2, clk.wall_now()) == KeyHealth::cooling);
  clk.advance(1s);
  CHECK(pool->health(2, clk.wall_now()) == KeyHealth::healthy);
  CHECK(pool->view(2, clk.wall_now()).until == WallTime{});

  // Exhausted is not shortened by a later cooling (a reply still in flight when it was marked).
  const auto t1 = clk.wall_now();
  REQUIRE(pool->mark_exhausted(2, t1 + 8h, t1));
  REQUIRE(pool->mark_cooling(2, t1 + 30s, t1));
  CHECK(pool->view(2, t1 + 1h).health == KeyHealth::exhausted);
  CHECK(pool->view(2, t1 + 1h).until == t1 + 8h);
  // Two exhaustions: the later end wins.
  REQUIRE(pool->mark_exhausted(2, t1 + 9h, t1));
  REQUIRE(pool->mark_exhausted(2, t1 + 2h, t1));
  CHECK(pool->view(2, t1).until == t1 + 9h);
  clk.set_wall(t1 + 9h);
  CHECK(pool->health(2, clk.wall_now()) == KeyHealth::healthy);
  // Once ended, a new shorter state replaces it.
  REQUIRE(pool->mark_cooling(2, clk.wall_now() + 5s, clk.wall_now()));
  CHECK(pool->health(2, clk.wall_now()) == KeyHealth::cooling);

  // Invalid: for good, whatever comes after.
  REQUIRE(pool->mark_invalid(0, clk.wall_now()));
  REQUIRE(pool->mark_cooling(0, clk.wall_now() + 5s, clk.wall_now()));
  clk.set_wall(clk.wall_now() + std::chrono::hours(24 * 365 * 50));
  CHECK(pool->health(0, clk.wall_now()) == KeyHealth::invalid);
  CHECK(pool->view(0, clk.wall_now()).until == WallTime::max());

  // A user reset brings any state back at once.
  REQUIRE(pool->reset(0, clk.wall_now()));
  CHECK(pool->health(0, clk.wall_now()) == KeyHealth::healthy);

  CHECK(pool->mark_cooling(9, t0, t0).error().code == Errc::invalid_argument);
}

TEST_CASE("pool: exhausting an account takes every key of that account, and only those", "[keys][pool]") {
  clock::manual clk;
  auto pool = Pool::open(memory_only(three_openai_one_groq()), clk.wall_now());
  REQUIRE(pool);
  const auto now = clk.wall_now();
  REQUIRE(pool->mark_exhausted(1, now + 3h, now));
  CHECK(pool->health(0, now) == KeyHealth::exhausted);  // sibling in org_a
  CHECK(pool->health(1, now) == KeyHealth::exhausted);
  CHECK(pool->health(2, now) == KeyHealth::healthy);  // org_b
  CHECK(pool->health(3, now) == KeyHealth::healthy);  // org_a at another provider: another account

  // A key configured without an account is an account of its own.
  auto solo = Pool::open(memory_only({{"groq", groq_a}, {"groq", "gsk_" + std::string(40, 'q')}}), now);
  REQUIRE(solo);
  CHECK(solo->account(0) == solo->fingerprint(0));
  REQUIRE(solo->mark_exhausted(0, now + 1h, now));
  CHECK(solo->health(1, now) == KeyHealth::healthy);
}

TEST_CASE("pool: candidate views per provider, in configuration order", "[keys][pool]") {
  clock::manual clk;
  auto pool = Pool::open(memory_only({{"groq", groq_a, org_a},
                                      {"openai", openai_a1, org_a, 3},
                                      {"openai", openai_b1, org_b, 1}}),
                         clk.wall_now());
  REQUIRE(pool);
  const auto now = clk.wall_now();
  REQUIRE(pool->mark_exhausted(1, now + 1h, now));
  const auto c = pool->candidates("openai", now);
  REQUIRE(c.size() == 2);
  CHECK(c[0].index == 1);
  CHECK(c[0].account == org_a);
  CHECK(c[0].health == KeyHealth::exhausted);
  CHECK(c[0].until == now + 1h);
  CHECK(c[0].weight == 3);
  CHECK_FALSE(c[0].usable());
  CHECK(c[1].index == 2);
  CHECK(c[1].usable());
  CHECK(c[1].fingerprint == fingerprint(openai_b1));

  KeyCandidate buf[1];
  CHECK(pool->candidates("openai", now, buf) == 1);
  CHECK(buf[0].index == 1);
  CHECK(pool->candidates("anthropic", now).empty());
  CHECK(pool->indices("groq").size() == 1);
  CHECK(pool->secret(2) == openai_b1);
}

TEST_CASE("pool: the selection policies' views carry each end over to the monotonic clock", "[keys][pool]") {
  clock::manual clk;
  clk.advance(100s);  // monotonic and wall time apart, as on a real host
  auto pool = Pool::open(memory_only(three_openai_one_groq()), clk.wall_now());
  REQUIRE(pool);
  REQUIRE(pool->mark_exhausted(0, clk.wall_now() + 2h, clk.wall_now()));  // keys 0 and 1 (org_a)
  REQUIRE(pool->mark_invalid(2, clk.wall_now()));
  KeyView v[4];
  REQUIRE(pool->views("openai", clk.wall_now(), clk.now(), v) == 3);
  CHECK(v[0].index == 0);
  CHECK(v[0].account == org_a);
  CHECK(v[0].health == KeyHealth::exhausted);
  CHECK(v[0].until == clk.now() + 2h);
  CHECK(v[2].health == KeyHealth::invalid);
  CHECK(v[2].until == instant_max);

  Random rng(7);
  round_robin rr;
  CHECK_FALSE(rr.pick(std::span<const KeyView>(v, 3), clk.now(), rng));
  // Two hours on, the same views (or fresh ones) let the exhausted account back in.
  clk.advance(2h);
  CHECK(rr.pick(std::span<const KeyView>(v, 3), clk.now(), rng).has_value());
  REQUIRE(pool->views("openai", clk.wall_now(), clk.now(), v) == 3);
  CHECK(v[0].health == KeyHealth::healthy);
  CHECK(v[2].health == KeyHealth::invalid);

  // "Until reset" stays out for ever rather than wrapping around.
  REQUIRE(pool->mark_exhausted(3, until_reset, clk.wall_now()));
  REQUIRE(pool->views("groq", clk.wall_now(), clk.now(), v) == 1);
  CHECK(v[0].until == instant_max);
}

TEST_CASE("pool: no key left names the provider and when the first key comes back", "[keys][pool]") {
  clock::manual clk;
  auto pool = Pool::open(memory_only(three_openai_one_groq()), clk.wall_now());
  REQUIRE(pool);
  const auto now = clk.wall_now();
  CHECK(pool->available("openai", now));
  REQUIRE(pool->mark_exhausted(0, now + 5h, now));  // org_a: keys 0 and 1
  CHECK(pool->available("openai", now));
  REQUIRE(pool->mark_cooling(2, now + 22min + 46s, now));

  auto none = pool->available("openai", now);
  REQUIRE_FALSE(none);
  CHECK(none.error().code == Errc::all_rate_limited);
  CHECK(none.error().retry_after == Duration(22min + 46s));
  CHECK(none.error().message ==
        "no usable OPENAI key: 2 exhausted, 1 cooling; the first comes back at 2025-01-01 00:22:46 UTC, in "
        "22 minutes");
  for (const auto& secret : {openai_a1, openai_a2, openai_b1, org_a, org_b})
    CHECK(none.error().message.find(secret) == std::string::npos);
  CHECK(pool->available("groq", now));  // other providers are untouched

  // The cooling ends: a key is back.
  CHECK(pool->available("openai", now + 22min + 46s));

  // Every key refused by the provider: none comes back, so no wait is offered.
  for (std::size_t i : pool->indices("openai")) REQUIRE(pool->mark_invalid(i, now));
  auto never = pool->available("openai", now);
  REQUIRE_FALSE(never);
  CHECK(never.error().code == Errc::invalid_argument);
  CHECK_FALSE(never.error().retry_after);
  CHECK(never.error().message.find("3 invalid") != std::string::npos);

  // Billing exhaustion lasts until a user resets it.
  REQUIRE(pool->mark_exhausted(3, until_reset, now));
  auto billing = pool->available("groq", now);
  REQUIRE_FALSE(billing);
  CHECK(billing.error().code == Errc::all_rate_limited);
  CHECK(billing.error().message.find("when its account is reset") != std::string::npos);

  CHECK(pool->available("mistral", now).error().message == "no MISTRAL key is configured");
}

TEST_CASE("pool: a restart keeps an exhausted key out until the provider's reset, then uses it",
          "[keys][pool]") {
  PoolDir d;
  // 2025-03-14 15:00 UTC; Gemini's daily quota resets at midnight in Los Angeles (PDT from
  // 9 March: 07:00 UTC).
  clock::manual clk(Instant{}, WallTime{std::chrono::sys_days{std::chrono::year{2025} / 3 / 14}} + 15h);
  const auto* gemini = providers::builtin_table().provider("gemini");
  REQUIRE(gemini);
  const auto reset = providers::next_daily_reset(*gemini, clk.wall_now());
  REQUIRE(reset);
  CHECK(*reset == WallTime{std::chrono::sys_days{std::chrono::year{2025} / 3 / 15}} + 7h);

  const std::string gem_a = "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", gem_b = "AIzaSyZ9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J";
  const std::vector<KeyConfig> keys = {{"gemini", gem_a, "projects/alpha-123"}, {"gemini", gem_b, "projects/beta-456"}};
  {
    auto first = Pool::open(on_file(keys, d.file()), clk.wall_now());
    REQUIRE(first);
    REQUIRE(first->mark_exhausted(0, *reset, clk.wall_now()));
    REQUIRE(first->mark_invalid(1, clk.wall_now()));
  }
  // The file names keys by fingerprint only: no key, no account id.
  const std::string text = read_pool_file(d.file());
  for (const auto& secret : {gem_a, gem_b, std::string("alpha-123"), std::string("beta-456")})
    CHECK(text.find(secret) == std::string::npos);
  CHECK(text.find(fingerprint(gem_a)) != std::string::npos);

  clk.advance(1h);  // the application restarts an hour later
  std::vector<std::string> warnings;
  auto second = Pool::open(on_file(keys, d.file(), &warnings), clk.wall_now());
  REQUIRE(second);
  CHECK(warnings.empty());
  CHECK(second->health(0, clk.wall_now()) == KeyHealth::exhausted);
  CHECK(second->view(0, clk.wall_now()).until == *reset);
  CHECK(second->health(1, clk.wall_now()) == KeyHealth::invalid);
  CHECK(second->available("gemini", clk.wall_now()).error().retry_after == *reset - clk.wall_now());

  clk.set_wall(*reset);
  CHECK(second->health(0, clk.wall_now()) == KeyHealth::healthy);
  CHECK(second->available("gemini", clk.wall_now()));
  // A third run after the reset: the exhausted entry is gone from the file, the invalid one stays.
  auto third = Pool::open(on_file(keys, d.file()), clk.wall_now());
  REQUIRE(third);
  CHECK(third->health(0, clk.wall_now()) == KeyHealth::healthy);
  CHECK(third->health(1, clk.wall_now()) == KeyHealth::invalid);
  CHECK(read_pool_file(d.file()).find(fingerprint(gem_a)) == std::string::npos);
}

TEST_CASE("pool: two pools over one file merge their findings instead of overwriting", "[keys][pool]") {
  PoolDir d;
  clock::manual clk;
  const auto now = clk.wall_now();
  auto a = Pool::open(on_file(three_openai_one_groq(), d.file()), now);
  auto b = Pool::open(on_file(three_openai_one_groq(), d.file()), now);
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(a->mark_exhausted(0, now + 6h, now));  // org_a
  REQUIRE(a->flush(5s));
  REQUIRE(b->mark_invalid(2, now));  // b never saw a's mark; its write keeps it
  REQUIRE(b->flush(5s));
  // b took in a's findings with its own write.
  CHECK(b->health(0, now) == KeyHealth::exhausted);
  CHECK(b->health(1, now) == KeyHealth::exhausted);
  // a sees b's after a refresh.
  CHECK(a->health(2, now) == KeyHealth::healthy);
  REQUIRE(a->refresh(now));
  CHECK(a->health(2, now) == KeyHealth::invalid);

  auto c = Pool::open(on_file(three_openai_one_groq(), d.file()), now);
  REQUIRE(c);
  CHECK(c->health(0, now) == KeyHealth::exhausted);
  CHECK(c->health(1, now) == KeyHealth::exhausted);
  CHECK(c->health(2, now) == KeyHealth::invalid);
  CHECK(c->health(3, now) == KeyHealth::healthy);

  // A pool with other keys on the same file keeps the entries it does not know.
  auto other = Pool::open(on_file({{"groq", groq_a}}, d.file()), now);
  REQUIRE(other);
  REQUIRE(other->mark_invalid(0, now));
  auto d2 = Pool::open(on_file(three_openai_one_groq(), d.file()), now);
  REQUIRE(d2);
  CHECK(d2->health(2, now) == KeyHealth::invalid);
  CHECK(d2->health(3, now) == KeyHealth::invalid);
}

TEST_CASE("pool: a corrupt health file is set aside with a warning and the pool starts healthy",
          "[keys][pool]") {
  PoolDir d;
  {
    std::ofstream(d.file()) << "{\"format\": \"governed key health\", \"version\": 1, \"keys\": {\"x\": ";
  }
  clock::manual clk;
  std::vector<std::string> warnings;
  auto pool = Pool::open(on_file(three_openai_one_groq(), d.file(), &warnings), clk.wall_now());
  REQUIRE(pool);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("set aside") != std::string::npos);
  CHECK(pool->available("openai", clk.wall_now()));
  // A fresh, valid file replaced it.
  CHECK(nlohmann::json::parse(read_pool_file(d.file()))["version"] == 2);
}

TEST_CASE("pool: an unusable health-file location is a warning, and the pool keeps health in memory",
          "[keys][pool]") {
  PoolDir d;
  std::ofstream(d.path / "file") << "x";  // a file where the directory should be (unwritable even for root)
  clock::manual clk;
  const auto now = clk.wall_now();
  std::vector<std::string> warnings;
  auto pool = Pool::open(on_file(three_openai_one_groq(), d.path / "file" / "key-health.json", &warnings), now);
  REQUIRE(pool);
  CHECK_FALSE(pool->state_file());
  REQUIRE_FALSE(warnings.empty());
  CHECK(warnings.back().find("kept in memory only") != std::string::npos);
  CHECK(warnings.front().find((d.path / "file").string()) != std::string::npos);
  REQUIRE(pool->mark_invalid(0, now));
  CHECK(pool->health(0, now) == KeyHealth::invalid);
  CHECK(pool->flush(1s));

  // No cache directory at all (no XDG_CACHE_HOME, no HOME): the same.
  const char* home = std::getenv("HOME");
  const std::optional<std::string> saved_home = home ? std::optional<std::string>(home) : std::nullopt;
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const std::optional<std::string> saved_xdg = xdg ? std::optional<std::string>(xdg) : std::nullopt;
  ::unsetenv("HOME");
  ::unsetenv("XDG_CACHE_HOME");
  warnings.clear();
  PoolConfig homeless = on_file(three_openai_one_groq(), {}, &warnings);
  homeless.state_file.reset();
  auto nowhere = Pool::open(std::move(homeless), now);
  if (saved_home) ::setenv("HOME", saved_home->c_str(), 1);
  if (saved_xdg) ::setenv("XDG_CACHE_HOME", saved_xdg->c_str(), 1);
  REQUIRE(nowhere);
  CHECK_FALSE(nowhere->state_file());
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("kept in memory only") != std::string::npos);
}

TEST_CASE("pool: with persistence off nothing touches the file system", "[keys][pool]") {
  PoolDir d;
  clock::manual clk;
  PoolConfig c = on_file(three_openai_one_groq(), d.path / "sub" / "key-health.json");
  c.persist = false;
  auto pool = Pool::open(std::move(c), clk.wall_now());
  REQUIRE(pool);
  CHECK_FALSE(pool->state_file());
  REQUIRE(pool->mark_invalid(0, clk.wall_now()));
  REQUIRE(pool->mark_exhausted(2, clk.wall_now() + 1h, clk.wall_now()));
  REQUIRE(pool->flush(1s));
  CHECK_FALSE(fs::exists(d.path / "sub"));
}

TEST_CASE("pool: a version 1 health file is read and rewritten as version 2", "[keys][pool]") {
  PoolDir d;
  clock::manual clk;  // wall time starts at 2025-01-01T00:00:00Z
  const auto now = clk.wall_now();
  const std::string a1 = fingerprint(openai_a1), g = fingerprint(groq_a);
  std::ofstream(d.file()) << fmt::format(
      R"({{"format": "governed key health", "version": 1, "keys": {{)"
      R"("{}": {{"provider": "openai", "health": "exhausted", "until_ms": 1735693200000}},)"
      R"("{} model llama-3.3-70b-versatile": {{"provider": "groq", "health": "exhausted", "until_ms": 1735696800000}}}}}})",
      a1, g);
  std::vector<std::string> warnings;
  auto pool = Pool::open(on_file(three_openai_one_groq(), d.file(), &warnings), now);
  REQUIRE(pool);
  CHECK(warnings.empty());
  CHECK(pool->health(0, now) == KeyHealth::exhausted);
  CHECK(pool->view(0, now).until == now + 1h);
  const auto models = pool->model_exhaustions(now);
  REQUIRE(models.size() == 1);
  CHECK(models[0].key == 3);
  CHECK(models[0].model == "llama-3.3-70b-versatile");
  CHECK(models[0].until == now + 2h);

  const auto doc = nlohmann::json::parse(read_pool_file(d.file()));
  CHECK(doc["version"] == 2);
  REQUIRE(doc["keys"].is_array());
  bool per_model = false;
  for (const auto& e : doc["keys"]) {
    CHECK(e["fingerprint"].get<std::string>().find(" model ") == std::string::npos);
    if (e.contains("model")) {
      per_model = true;
      CHECK(e["fingerprint"] == g);
      CHECK(e["model"] == "llama-3.3-70b-versatile");
    }
  }
  CHECK(per_model);
}

TEST_CASE("pool: per-model exhaustions reach the file for every key of the account and come back at open",
          "[keys][pool]") {
  PoolDir d;
  clock::manual clk;
  const auto now = clk.wall_now();
  const std::vector<KeyConfig> keys = {{"groq", groq_a, org_a}, {"groq", "gsk_" + std::string(40, 'z'), org_a},
                                       {"groq", "gsk_" + std::string(40, 'y'), org_b}};
  {
    auto pool = Pool::open(on_file(keys, d.file()), now);
    REQUIRE(pool);
    REQUIRE(pool->mark_model_exhausted(0, "llama-3.3-70b-versatile", now + 20min, now));
    CHECK(pool->mark_model_exhausted(0, "", now + 20min, now).error().code == Errc::invalid_argument);
  }  // destroyed: its writer finishes the write first
  auto again = Pool::open(on_file(keys, d.file()), now + 1min);
  REQUIRE(again);
  auto models = again->model_exhaustions(now + 1min);
  REQUIRE(models.size() == 2);  // both keys of org_a, not org_b's
  CHECK(models[0].key + models[1].key == 1);
  CHECK(models[0].until == now + 20min);
  for (std::size_t i = 0; i < 3; ++i) CHECK(again->health(i, now) == KeyHealth::healthy);  // the key itself is fine
  CHECK(again->model_exhaustions(now + 20min).empty());
  // A reset of the key forgets its per-model records too.
  REQUIRE(again->reset(0, now + 1min));
  CHECK(again->model_exhaustions(now + 1min).size() == 1);
}

namespace {

// Holds the flock of the pool file's lock file on a descriptor of its own, as another process
// would.
struct HeldPoolLock {
  int fd = -1;
  explicit HeldPoolLock(const fs::path& file) {
    const fs::path lock = file.string() + ".lock";
    fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
  }
  ~HeldPoolLock() { release(); }
  void release() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

}  // namespace

TEST_CASE("pool: a health-file lock held by another process does not hold open up beyond the bound",
          "[keys][pool]") {
  PoolDir d;
  clock::manual clk;
  const auto now = clk.wall_now();
  HeldPoolLock held(d.file());
  std::vector<std::string> warnings;
  PoolConfig c = on_file(three_openai_one_groq(), d.file(), &warnings);
  c.lock_wait = 100ms;
  const auto start = std::chrono::steady_clock::now();
  auto pool = Pool::open(std::move(c), now);
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(pool);
  CHECK(took >= 100ms);
  CHECK(took < 2s);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("stayed locked") != std::string::npos);
  CHECK(warnings[0].find("kept in memory") != std::string::npos);
  // The lock is a passing thing: the pool keeps the file and writes once it is free.
  CHECK(pool->state_file() == d.file());
  REQUIRE(pool->mark_invalid(1, now));
  held.release();
  REQUIRE(pool->refresh(now));
  CHECK(read_pool_file(d.file()).find(fingerprint(openai_a2)) != std::string::npos);
}

TEST_CASE("pool: a mark never waits for the health-file lock; the failed write is a warning and the mark holds",
          "[keys][pool]") {
  PoolDir d;
  clock::manual clk;
  const auto now = clk.wall_now();
  std::mutex m;
  std::vector<std::string> warnings;
  PoolConfig c = on_file(three_openai_one_groq(), d.file());
  c.lock_wait = 200ms;
  c.on_warning = [&](std::string_view w) {
    std::lock_guard lk(m);
    warnings.emplace_back(w);
  };
  auto pool = Pool::open(std::move(c), now);
  REQUIRE(pool);
  std::vector<std::string> sunk;
  pool->set_warning_sink([&](std::string_view w) {
    std::lock_guard lk(m);
    sunk.emplace_back(w);
  });
  {
    HeldPoolLock held(d.file());
    const auto start = std::chrono::steady_clock::now();
    REQUIRE(pool->mark_invalid(0, now));
    REQUIRE(pool->mark_exhausted(2, now + 3h, now));
    CHECK(std::chrono::steady_clock::now() - start < 100ms);  // well under the 200 ms bound
    CHECK(pool->health(0, now) == KeyHealth::invalid);
    CHECK(pool->health(2, now) == KeyHealth::exhausted);
    REQUIRE(pool->flush(5s));
    std::lock_guard lk(m);
    REQUIRE_FALSE(warnings.empty());
    CHECK(warnings.back().find("was not saved") != std::string::npos);
    CHECK(sunk == warnings);
    CHECK(read_pool_file(d.file()).find(fingerprint(openai_a1)) == std::string::npos);
  }
  // The next mark after the lock is free writes every state the pool holds.
  REQUIRE(pool->mark_cooling(3, now + 30s, now));
  REQUIRE(pool->mark_exhausted(3, now + 1h, now));
  REQUIRE(pool->flush(5s));
  const std::string text = read_pool_file(d.file());
  for (const auto& k : {openai_a1, openai_b1, groq_a}) CHECK(text.find(fingerprint(k)) != std::string::npos);
  pool->set_warning_sink({});
}

TEST_CASE("pool: a State-like owner can move the pool while its writer runs", "[keys][pool][concurrency]") {
  PoolDir d;
  clock::manual clk;
  const auto now = clk.wall_now();
  auto pool = Pool::open(on_file(three_openai_one_groq(), d.file()), now);
  REQUIRE(pool);
  REQUIRE(pool->mark_invalid(0, now));
  auto moved = std::make_unique<Pool>(std::move(*pool));
  REQUIRE(moved->mark_invalid(2, now));
  REQUIRE(moved->flush(5s));
  const std::string text = read_pool_file(d.file());
  CHECK(text.find(fingerprint(openai_a1)) != std::string::npos);
  CHECK(text.find(fingerprint(openai_b1)) != std::string::npos);
  CHECK(moved->health(0, now) == KeyHealth::invalid);
}

TEST_CASE("pool: readers and writers on many threads", "[keys][pool][concurrency]") {
  clock::manual clk;
  std::vector<KeyConfig> keys;
  for (int i = 0; i < 8; ++i)
    keys.push_back({"openai", "sk-proj-" + std::string(20, char('a' + i)) + "0123456789", i < 4 ? org_a : org_b});
  auto pool = Pool::open(memory_only(keys), clk.wall_now());
  REQUIRE(pool);
  const auto now = clk.wall_now();

  constexpr int readers = 4, writers = 4, rounds = 2000;
  std::atomic<bool> go{false};
  std::atomic<long> seen_usable{0}, torn{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < readers; ++r)
    threads.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      for (int n = 0; n < rounds; ++n) {
        KeyCandidate buf[8];
        const std::size_t k = pool->candidates("openai", now, buf);
        for (std::size_t i = 0; i < k; ++i) {
          if (buf[i].usable()) ++seen_usable;
          // A view is one word: a state always comes with an end that belongs to it.
          if (buf[i].health == KeyHealth::cooling && buf[i].until > now + 1000s) ++torn;
          if (buf[i].health == KeyHealth::exhausted && buf[i].until < now + 1h) ++torn;
        }
        (void)pool->available("openai", now);
      }
    });
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      while (!go.load()) std::this_thread::yield();
      for (int n = 0; n < rounds; ++n) {
        const std::size_t i = std::size_t((n + w) % 8);
        (void)pool->mark_cooling(i, now + std::chrono::seconds(1 + n % 1000), now);
        if (n % 500 == w) (void)pool->mark_exhausted(i, now + std::chrono::hours(1 + w), now);
      }
    });
  go = true;
  for (auto& t : threads) t.join();
  CHECK(torn == 0);
  // Each key ends in the most conservative state any writer left: both accounts were
  // exhausted, the latest end (writer 3: 4 h) wins over every earlier one.
  for (std::size_t i = 0; i < 8; ++i) {
    INFO(i);
    CHECK(pool->health(i, now) == KeyHealth::exhausted);
    CHECK(pool->view(i, now).until == now + 4h);
  }
}

TEST_CASE("pool: persisted writes from many threads and two pools lose nothing", "[keys][pool][concurrency]") {
  PoolDir d;
  clock::manual clk;
  const auto now = clk.wall_now();
  std::vector<KeyConfig> keys;
  for (int i = 0; i < 8; ++i) keys.push_back({"openai", "sk-proj-" + std::string(20, char('a' + i)) + "0123456789"});
  auto a = Pool::open(on_file(keys, d.file()), now);
  auto b = Pool::open(on_file(keys, d.file()), now);
  REQUIRE(a);
  REQUIRE(b);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      Pool& p = t % 2 == 0 ? *a : *b;
      for (int n = 0; n < 4; ++n) {
        const std::size_t i = std::size_t(t * 2 + n % 2);
        if (!(n < 2 ? p.mark_exhausted(i, now + std::chrono::hours(1 + n), now) : p.mark_invalid(i, now))) ++failures;
        (void)p.health(i, now);
      }
    });
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  auto c = Pool::open(on_file(keys, d.file()), now);
  REQUIRE(c);
  for (std::size_t i = 0; i < 8; ++i) CHECK(c->health(i, now) == KeyHealth::invalid);
}

TEST_CASE("pool: a warning callback that throws does not end the writer thread", "[keys][pool]") {
  PoolDir d;
  clock::manual clk;
  const auto now = clk.wall_now();
  std::atomic<int> told{0};
  PoolConfig c = on_file(three_openai_one_groq(), d.file());
  c.lock_wait = 50ms;
  c.on_warning = [&](std::string_view) {
    ++told;
    throw std::runtime_error("a careless callback");
  };
  auto pool = Pool::open(std::move(c), now);
  REQUIRE(pool);
  {
    HeldPoolLock held(d.file());
    REQUIRE(pool->mark_invalid(0, now));
    REQUIRE(pool->flush(5s));
  }
  CHECK(told >= 1);
  REQUIRE(pool->mark_invalid(1, now));  // the writer still runs
  REQUIRE(pool->flush(5s));
  CHECK(read_pool_file(d.file()).find(fingerprint(openai_a2)) != std::string::npos);
}

namespace {

// What a warning callback that calls back into its pool saw.
struct CallbackOutcome {
  bool opened = false, locked = false, flushed = false, refreshed_after = false;
  int refreshes = 0, refused = 0;
  KeyHealth health = KeyHealth::healthy;
  std::string file_text;
};

}  // namespace

TEST_CASE("pool: a warning callback that calls refresh during a failed write does not deadlock",
          "[keys][pool][concurrency]") {
  // On a thread of its own, so that a deadlock fails the test instead of hanging it.
  auto scenario = std::async(std::launch::async, [] {
    CallbackOutcome o;
    PoolDir d;
    clock::manual clk;
    const auto now = clk.wall_now();
    std::atomic<Pool*> target{nullptr};
    std::atomic<int> refreshes{0}, refused{0};
    const auto call_back = [&](std::string_view) {
      if (Pool* p = target.load()) {
        ++refreshes;
        if (!p->refresh(now)) ++refused;
      }
    };
    PoolConfig c = on_file(three_openai_one_groq(), d.file());
    c.lock_wait = 50ms;
    c.on_warning = call_back;
    auto pool = Pool::open(std::move(c), now);
    if (!(o.opened = pool.has_value())) return o;
    pool->set_warning_sink(call_back);  // as a State's observer would
    target = &*pool;
    // Another process's lock, held by hand: a REQUIRE is for the test's own thread.
    const int fd = ::open((d.file().string() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    o.locked = fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    (void)pool->mark_invalid(0, now);  // the writer thread's write fails, and warns
    o.flushed = pool->flush(5s);
    (void)pool->refresh(now);  // fails on this thread, and warns here
    if (fd >= 0) ::close(fd);
    target = nullptr;
    o.refreshed_after = pool->refresh(now).has_value();
    o.refreshes = refreshes;
    o.refused = refused;
    o.health = pool->health(0, now);
    pool->set_warning_sink({});
    o.file_text = read_pool_file(d.file());
    return o;
  });
  if (scenario.wait_for(30s) != std::future_status::ready) {
    (void)new std::future<CallbackOutcome>(std::move(scenario));  // a deadlocked thread can not be joined
    FAIL("a warning callback that called refresh deadlocked the pool");
  }
  const CallbackOutcome o = scenario.get();
  REQUIRE(o.opened);
  REQUIRE(o.locked);
  CHECK(o.flushed);
  // The writer's warning and the caller's each reach on_warning and the sink; the refreshes
  // they make fail on the held lock, and their own warnings are not told again.
  CHECK(o.refreshes == 4);
  CHECK(o.refused == o.refreshes);
  CHECK(o.refreshed_after);
  CHECK(o.health == KeyHealth::invalid);
  CHECK(o.file_text.find(fingerprint(openai_a1)) != std::string::npos);
}
