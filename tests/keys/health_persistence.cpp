#include <governed/keys/health_persistence.hpp>

#include <governed/keys/pool.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <vector>

using namespace governed;
using namespace governed::keys;
using namespace std::chrono_literals;

namespace {

const WallTime persisted_now = WallTime{std::chrono::seconds{1'790'000'000}};

/// Key health saved in this process's memory, keyed by the location it is opened at: what a
/// user's own persistence (a database, a shared service) would do behind the interface.
class SavedInMemory : public HealthPersistence {
 public:
  SavedInMemory(std::filesystem::path file, std::chrono::nanoseconds) : file_(std::move(file)) {}

  const std::filesystem::path& file() const noexcept override { return file_; }

  Result<HealthRecords> merge(const HealthRecords& mine, WallTime now, std::vector<std::string>&,
                              std::span<const std::string> forget = {}) const override {
    std::lock_guard lk(mutex());
    HealthRecords& saved = shelf()[file_.string()];
    for (const auto& fp : forget) std::erase_if(saved, [&](const auto& kv) { return kv.first.fingerprint == fp; });
    for (const auto& [key, r] : mine) {
      auto [it, inserted] = saved.try_emplace(key, r);
      if (!inserted) it->second = HealthRecord(more_conservative(it->second, r));
    }
    std::erase_if(saved, [now](const auto& kv) { return kv.second.expired(now); });
    return saved;
  }

  static HealthRecords saved_at(const std::string& where) {
    std::lock_guard lk(mutex());
    return shelf()[where];
  }

 private:
  static std::map<std::string, HealthRecords>& shelf() {
    static std::map<std::string, HealthRecords> s;
    return s;
  }
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  std::filesystem::path file_;
};

PoolConfig persisted_pool(std::filesystem::path where) {
  PoolConfig c;
  c.keys = {{"groq", "gsk_persisted0000000000000000000000000000000000001"}};
  c.state_file = std::move(where);
  return c;
}

std::string unique_place() {
  std::random_device rd;
  return (std::filesystem::temp_directory_path() / ("governed-persistence-" + std::to_string(rd()))).string();
}

}  // namespace

TEST_CASE("a pool saves key health through the persistence it is given, and a new pool starts from it",
          "[keys][health_persistence]") {
  const std::string where = unique_place();
  {
    auto pool = Pool::open<SavedInMemory>(persisted_pool(where), persisted_now);
    REQUIRE(pool);
    CHECK(pool->state_file() == std::filesystem::path(where));
    REQUIRE(pool->mark_exhausted(0, persisted_now + 1h, persisted_now));
    REQUIRE(pool->flush(5s));
  }
  const auto saved = SavedInMemory::saved_at(where);
  REQUIRE(saved.size() == 1);
  CHECK(saved.begin()->second.health == KeyHealth::exhausted);
  CHECK_FALSE(std::filesystem::exists(where));  // nothing of the health file's was used

  auto again = Pool::open<SavedInMemory>(persisted_pool(where), persisted_now + 1min);
  REQUIRE(again);
  CHECK(again->health(0, persisted_now + 1min) == KeyHealth::exhausted);
  CHECK(again->health(0, persisted_now + 2h) == KeyHealth::healthy);
}

TEST_CASE("a pool opened with no_persistence keeps key health in memory and writes nothing, whatever persist says",
          "[keys][health_persistence]") {
  const std::string where = unique_place();
  auto config = persisted_pool(where);
  REQUIRE(config.persist);
  auto pool = Pool::open<no_persistence>(std::move(config), persisted_now);
  REQUIRE(pool);
  CHECK_FALSE(pool->state_file());
  REQUIRE(pool->mark_exhausted(0, persisted_now + 1h, persisted_now));
  CHECK(pool->flush(5s));
  CHECK(pool->health(0, persisted_now) == KeyHealth::exhausted);
  CHECK_FALSE(std::filesystem::exists(where));
}
