#include <governed/keys/health_file.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace governed;
using namespace governed::keys;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A fresh directory per test, removed with everything in it at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("governed-health-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path file() const { return path / "key-health.json"; }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void spit(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << s;
}

std::vector<fs::path> entries(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename());
  return out;
}

bool has_entry_starting(const fs::path& dir, const std::string& prefix) {
  for (const auto& e : entries(dir))
    if (e.string().starts_with(prefix)) return true;
  return false;
}

constexpr WallTime t0{std::chrono::seconds{1735689600}};  // 2025-01-01T00:00:00Z

// The version 2 record of `fingerprint` (and `model`) in a parsed health file; null if none.
nlohmann::json record_of(const nlohmann::json& doc, const std::string& fingerprint, const std::string& model = {}) {
  for (const auto& e : doc["keys"])
    if (e["fingerprint"] == fingerprint && e.value("model", std::string()) == model) return e;
  return nullptr;
}

}  // namespace

TEST_CASE("health store: a missing file reads as no records", "[keys][health_store]") {
  TempDir d;
  std::vector<std::string> warnings;
  auto r = HealthStore(d.file()).load(t0, warnings);
  REQUIRE(r);
  CHECK(r->empty());
  CHECK(warnings.empty());
}

TEST_CASE("health store: records round-trip through the file, ends rounded up to the millisecond",
          "[keys][health_store]") {
  TempDir d;
  HealthStore store(d.file());
  HealthRecords mine{
      {"sk-…aaaaaaaaaaaa", {KeyHealth::exhausted, t0 + 8h + 1ns, "openai"}},
      {"gsk_…bbbbbbbbbbbb", {KeyHealth::cooling, t0 + 30s, "groq"}},
      {"…cccccccccccc", {KeyHealth::invalid, WallTime::max(), "mistral"}},
  };
  std::vector<std::string> warnings;
  auto w = store.merge(mine, t0, warnings);
  REQUIRE(w);
  CHECK(warnings.empty());

  const auto doc = nlohmann::json::parse(slurp(d.file()));
  CHECK(doc["format"] == "governed key health");
  CHECK(doc["version"] == 2);
  // 8 h and 1 ns after t0 is stored as the next whole millisecond: never earlier than asked.
  CHECK(record_of(doc, "sk-…aaaaaaaaaaaa")["until_ms"] == 1735689600000 + 8 * 3600 * 1000 + 1);
  CHECK(record_of(doc, "sk-…aaaaaaaaaaaa")["provider"] == "openai");
  CHECK_FALSE(record_of(doc, "…cccccccccccc").contains("until_ms"));

  auto r = store.load(t0, warnings);
  REQUIRE(r);
  REQUIRE(r->size() == 3);
  CHECK(r->at("sk-…aaaaaaaaaaaa").health == KeyHealth::exhausted);
  CHECK(r->at("sk-…aaaaaaaaaaaa").until == t0 + 8h + 1ms);
  CHECK(r->at("gsk_…bbbbbbbbbbbb") == HealthRecord{KeyHealth::cooling, t0 + 30s, "groq"});
  CHECK(r->at("…cccccccccccc").health == KeyHealth::invalid);
  CHECK(r->at("…cccccccccccc").until == WallTime::max());
  // No stray files: the temporary file was renamed over the state file.
  CHECK_FALSE(has_entry_starting(d.path, "key-health.json.tmp-"));
}

TEST_CASE("health store: ended states drop out on load and on the next write", "[keys][health_store]") {
  TempDir d;
  HealthStore store(d.file());
  std::vector<std::string> warnings;
  REQUIRE(store.merge({{"a", {KeyHealth::cooling, t0 + 60s, "openai"}},
                       {"b", {KeyHealth::exhausted, t0 + 24h, "openai"}},
                       {"c", {KeyHealth::invalid, WallTime::max(), "openai"}}},
                      t0, warnings));
  auto later = store.load(t0 + 60s, warnings);  // the cooling ends exactly now
  REQUIRE(later);
  CHECK(later->count("a") == 0);
  CHECK(later->count("b") == 1);
  auto next_day = store.merge({}, t0 + 25h, warnings);
  REQUIRE(next_day);
  CHECK(next_day->size() == 1);
  CHECK(next_day->count("c") == 1);  // invalid never ends
  CHECK(nlohmann::json::parse(slurp(d.file()))["keys"].size() == 1);
}

TEST_CASE("health store: two writers merge, each key keeping the more conservative state",
          "[keys][health_store]") {
  TempDir d;
  HealthStore a(d.file()), b(d.file());
  std::vector<std::string> warnings;
  REQUIRE(a.merge({{"k1", {KeyHealth::exhausted, t0 + 10h, "openai"}},
                   {"k2", {KeyHealth::cooling, t0 + 30s, "openai"}},
                   {"k3", {KeyHealth::cooling, t0 + 20s, "openai"}}},
                  t0, warnings));
  // b never saw a's findings: its write must add to them, not replace them.
  auto merged = b.merge({{"k1", {KeyHealth::cooling, t0 + 11h, "openai"}},      // exhausted beats cooling
                         {"k2", {KeyHealth::invalid, WallTime::max(), "openai"}},  // invalid beats cooling
                         {"k3", {KeyHealth::cooling, t0 + 50s, "openai"}},      // later end wins
                         {"k4", {KeyHealth::exhausted, t0 + 1h, "groq"}}},
                        t0, warnings);
  REQUIRE(merged);
  CHECK(merged->at("k1") == HealthRecord{KeyHealth::exhausted, t0 + 10h, "openai"});
  CHECK(merged->at("k2").health == KeyHealth::invalid);
  CHECK(merged->at("k3").until == t0 + 50s);
  CHECK(merged->at("k4").health == KeyHealth::exhausted);
  auto seen_by_a = a.load(t0, warnings);
  REQUIRE(seen_by_a);
  CHECK(*seen_by_a == *merged);
  CHECK(warnings.empty());

  // A forgotten fingerprint (a user reset it) leaves the file; the others stay.
  const std::string forget[] = {"k1"};
  auto after_reset = a.merge({}, t0, warnings, forget);
  REQUIRE(after_reset);
  CHECK(after_reset->count("k1") == 0);
  CHECK(after_reset->size() == 3);
}

TEST_CASE("health store: a file that is not a health file at all is set aside whole, with a warning",
          "[keys][health_store]") {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const char* corrupt[] = {
      "{\"format\": \"governed key health\", \"version\": 2, \"keys\": [",  // cut short mid-write
      "\x01\x02\xff binary",
      "[1, 2, 3]",
      deep.c_str(),  // nested past any health file: refused before it is parsed
      R"({"format": "governed key health", "version": "1", "keys": {}})",
      R"({"format": "governed key health", "version": 1, "keys": []})",
      R"({"format": "governed key health", "version": 2, "keys": {}})",
      R"({"format": "governed key health", "version": 2})",
  };
  for (const char* text : corrupt) {
    INFO(std::string(text).substr(0, 80));
    TempDir d;
    spit(d.file(), text);
    HealthStore store(d.file());
    std::vector<std::string> warnings;
    auto r = store.load(t0, warnings);
    REQUIRE(r);
    CHECK(r->empty());
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("set aside") != std::string::npos);
    CHECK_FALSE(fs::exists(d.file()));
    const fs::path aside = d.file().string() + ".corrupt-1735689600000";
    REQUIRE(fs::exists(aside));
    CHECK(slurp(aside) == text);  // kept for a person to read
    // The next write starts a clean file.
    REQUIRE(store.merge({{"k", {KeyHealth::exhausted, t0 + 1h, "groq"}}}, t0, warnings));
    auto again = store.load(t0, warnings);
    REQUIRE(again);
    CHECK(again->size() == 1);
  }
}

TEST_CASE("health store: one bad record is set aside and the other records are kept", "[keys][health_store]") {
  const std::string good = R"({"fingerprint": "sk-…aaaaaaaaaaaa", "provider": "openai", "health": "exhausted", "until_ms": 1735718400000})";
  const std::string bad[] = {
      R"({"fingerprint": "k", "health": "sleepy", "until_ms": 1})",
      R"({"fingerprint": "k", "health": "exhausted"})",
      R"({"fingerprint": "k", "health": "cooling", "until_ms": "soon"})",
      R"({"fingerprint": "k", "health": "invalid", "provider": 7})",
      R"({"fingerprint": "k", "model": 3, "health": "invalid"})",
      R"({"health": "invalid"})",
      R"(7)",
  };
  for (const auto& b : bad) {
    INFO(b);
    TempDir d;
    spit(d.file(), R"({"format": "governed key health", "version": 2, "keys": [)" + good + ", " + b + "]}");
    HealthStore store(d.file());
    std::vector<std::string> warnings;
    auto r = store.load(t0, warnings);
    REQUIRE(r);
    REQUIRE(r->size() == 1);
    CHECK(r->at("sk-…aaaaaaaaaaaa") == HealthRecord{KeyHealth::exhausted, t0 + 8h, "openai"});
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("record 2") != std::string::npos);
    CHECK(warnings[0].find("the others kept") != std::string::npos);
    // The bad record is copied aside for a person to read; the file itself stays in place.
    const fs::path aside = d.file().string() + ".corrupt-1735689600000";
    REQUIRE(fs::exists(aside));
    CHECK(nlohmann::json::parse(slurp(aside))["set_aside"][0] == nlohmann::json::parse(b));
    REQUIRE(fs::exists(d.file()));
    // The next write leaves it out and keeps the good one.
    auto merged = store.merge({}, t0, warnings);
    REQUIRE(merged);
    CHECK(merged->size() == 1);
    const auto doc = nlohmann::json::parse(slurp(d.file()));
    CHECK(doc["keys"].size() == 1);
    CHECK(doc["keys"][0]["fingerprint"] == "sk-…aaaaaaaaaaaa");
  }

  // The same in a version 1 file.
  TempDir d;
  spit(d.file(), R"({"format": "governed key health", "version": 1, "keys": {)"
                 R"("good": {"provider": "groq", "health": "invalid"}, "bad": {"health": "exhausted"}}})");
  std::vector<std::string> warnings;
  auto r = HealthStore(d.file()).load(t0, warnings);
  REQUIRE(r);
  CHECK(r->size() == 1);
  CHECK(r->at("good").health == KeyHealth::invalid);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("1 unusable record") != std::string::npos);
}

TEST_CASE("health store: a version 1 file is read, per-model names included, and rewritten as version 2",
          "[keys][health_store]") {
  TempDir d;
  spit(d.file(), R"({"format": "governed key health", "version": 1, "keys": {)"
                 R"("gsk_…bbbbbbbbbbbb": {"provider": "groq", "health": "exhausted", "until_ms": 1735693200000},)"
                 R"("gsk_…bbbbbbbbbbbb model llama-3.3-70b-versatile": {"provider": "groq", "health": "exhausted", "until_ms": 1735696800000},)"
                 R"("…cccccccccccc": {"provider": "mistral", "health": "invalid"}}})");
  HealthStore store(d.file());
  std::vector<std::string> warnings;
  auto r = store.load(t0, warnings);
  REQUIRE(r);
  CHECK(warnings.empty());
  REQUIRE(r->size() == 3);
  CHECK(r->at("gsk_…bbbbbbbbbbbb") == HealthRecord{KeyHealth::exhausted, t0 + 1h, "groq"});
  CHECK(r->at(HealthKey{"gsk_…bbbbbbbbbbbb", "llama-3.3-70b-versatile"}) ==
        HealthRecord{KeyHealth::exhausted, t0 + 2h, "groq"});
  CHECK(r->at("…cccccccccccc").health == KeyHealth::invalid);

  REQUIRE(store.merge({}, t0, warnings));
  const auto doc = nlohmann::json::parse(slurp(d.file()));
  CHECK(doc["version"] == 2);
  REQUIRE(doc["keys"].is_array());
  CHECK(doc["keys"].size() == 3);
  const auto per_model = record_of(doc, "gsk_…bbbbbbbbbbbb", "llama-3.3-70b-versatile");
  REQUIRE(per_model.is_object());
  CHECK(per_model["until_ms"] == 1735696800000);
  CHECK(record_of(doc, "gsk_…bbbbbbbbbbbb")["until_ms"] == 1735693200000);
  // No name carries a model any more.
  for (const auto& e : doc["keys"]) CHECK(e["fingerprint"].get<std::string>().find(" model ") == std::string::npos);
  auto again = store.load(t0, warnings);
  REQUIRE(again);
  CHECK(*again == *r);
}

TEST_CASE("health store: a version 1 name version 2 can not hold is set aside, not rewritten into a bad record",
          "[keys][health_store]") {
  const auto parsed = keys::detail::parse_health_file(
      R"({"format": "governed key health", "version": 1, "keys": {)"
      R"(" model gpt-4o": {"provider": "openai", "health": "invalid"},)"
      R"("sk-…aaaaaaaaaaaa model ": {"provider": "openai", "health": "invalid"},)"
      R"("sk-…bbbbbbbbbbbb": {"provider": "openai", "health": "invalid"}}})");
  CHECK(parsed.records.size() == 1);
  CHECK(parsed.bad_reasons.size() == 2);
  // What was kept reads back whole once written in version 2.
  const auto again = keys::detail::parse_health_file(keys::detail::render_health_file(parsed.records));
  CHECK(again.version == 2);
  CHECK(again.bad_reasons.empty());
  CHECK(again.records == parsed.records);
}

TEST_CASE("health store: the file holds one record a line, fields in reading order, strings escaped",
          "[keys][health_store]") {
  // A person reads a record as "which key, then what about it": fingerprint, provider, model,
  // health, until. Quotes and backslashes are escaped and bytes that are not UTF-8 replaced,
  // so the file stays JSON whatever a provider or model is called.
  keys::HealthRecords records;
  records[HealthKey{"sk-…aaaaaaaaaaaa"}] = HealthRecord{KeyHealth::exhausted, t0 + 1ns, "openai"};
  records[HealthKey{"sk-…bbbbbbbbbbbb", "gpt-\"4o\"\\mini\xff"}] = HealthRecord{KeyHealth::invalid, t0, "open\nai"};
  CHECK(keys::detail::render_health_file(records) ==
        "{\"format\": \"governed key health\", \"version\": 2, \"keys\": [\n"
        "  {\"fingerprint\":\"sk-…aaaaaaaaaaaa\",\"provider\":\"openai\",\"health\":\"exhausted\","
        "\"until_ms\":1735689600001},\n"
        "  {\"fingerprint\":\"sk-…bbbbbbbbbbbb\",\"provider\":\"open\\nai\","
        "\"model\":\"gpt-\\\"4o\\\"\\\\mini\xef\xbf\xbd\",\"health\":\"invalid\"}\n"
        "]}\n");
}

TEST_CASE("health store: what a full version 1 file holds is written back within the read limit, or not at all",
          "[keys][health_store]") {
  // A compact version 1 file near the limit: written back, each record gains a provider and a
  // fingerprint member, and must still be readable.
  std::string v1 = R"({"format":"governed key health","version":1,"keys":{)";
  std::size_t n = 0;
  while (v1.size() < 1'400'000) {
    v1 += fmt::format(R"({}"k{:012}":{{"health":"invalid"}})", n ? "," : "", n);
    ++n;
  }
  v1 += "}}";
  const auto parsed = keys::detail::parse_health_file(v1);
  REQUIRE(parsed.records.size() == n);
  const std::string written = keys::detail::render_health_file(parsed.records);
  CHECK(written.size() <= health_file_max_bytes);
  CHECK(keys::detail::parse_health_file(written).records.size() == n);

  // A record set too large to read back is refused before anything is written.
  TempDir d;
  HealthStore store(d.file());
  std::vector<std::string> warnings;
  REQUIRE(store.merge({{HealthKey{"sk-…cccccccccccc"}, HealthRecord{KeyHealth::invalid, WallTime::max(), "openai"}}},
                      t0, warnings));
  const std::string before = slurp(d.file());
  keys::HealthRecords huge;
  for (std::size_t i = 0; i < 40'000; ++i)
    huge.emplace(HealthKey{fmt::format("k{:060}", i)}, HealthRecord{KeyHealth::invalid, WallTime::max(), "openai"});
  auto r = store.merge(huge, t0, warnings);
  REQUIRE(!r);
  CHECK(r.error().message.find("more than") != std::string::npos);
  CHECK(slurp(d.file()) == before);
}

TEST_CASE("health store: a file above the size cap is corrupt, not read into memory", "[keys][health_store]") {
  TempDir d;
  spit(d.file(), std::string(health_file_max_bytes + 1, ' '));
  std::vector<std::string> warnings;
  auto r = HealthStore(d.file()).load(t0, warnings);
  REQUIRE(r);
  CHECK(r->empty());
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("larger than") != std::string::npos);
}

TEST_CASE("health store: a crash mid-write leaves the previous file readable", "[keys][health_store]") {
  TempDir d;
  HealthStore store(d.file());
  std::vector<std::string> warnings;
  REQUIRE(store.merge({{"k", {KeyHealth::exhausted, t0 + 2h, "openai"}}}, t0, warnings));
  const std::string before = slurp(d.file());

  // What a writer killed between write and rename leaves: a half-written temporary file.
  const fs::path stray = d.path / "key-health.json.tmp-99999-0";
  spit(stray, before.substr(0, before.size() / 2));
  auto r = store.load(t0, warnings);
  REQUIRE(r);
  CHECK(r->at("k").health == KeyHealth::exhausted);
  CHECK(warnings.empty());

  // The next writer, holding the lock, knows no live writer owns it and removes it.
  REQUIRE(store.merge({}, t0, warnings));
  CHECK_FALSE(fs::exists(stray));
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("crashed writer") != std::string::npos);
  CHECK(slurp(d.file()) == before);
}

TEST_CASE("health store: a write the file system refuses fails cleanly and keeps the old file",
          "[keys][health_store]") {
  TempDir d;
  HealthStore store(d.file());
  std::vector<std::string> warnings;
  REQUIRE(store.merge({{"k", {KeyHealth::exhausted, t0 + 2h, "openai"}}}, t0, warnings));
  const std::string before = slurp(d.file());

  // A file-size limit below the new contents makes write() fail with EFBIG part way, as a full
  // disk would (SIGXFSZ ignored, so the process gets the error instead of the signal).
  HealthRecords many;
  for (int i = 0; i < 200; ++i) many.emplace("key-" + std::to_string(i), HealthRecord{KeyHealth::cooling, t0 + 1h, "openai"});
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = before.size() + 100;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  auto r = store.merge(many, t0, warnings);
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);

  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::io_error);
  CHECK(r.error().message.find("key-health.json") != std::string::npos);
  CHECK(slurp(d.file()) == before);
  CHECK_FALSE(has_entry_starting(d.path, "key-health.json.tmp-"));
  auto still = store.load(t0, warnings);
  REQUIRE(still);
  CHECK(still->size() == 1);
}

TEST_CASE("health store: a directory that can not be used is a clear error", "[keys][health_store]") {
  TempDir d;
  spit(d.path / "not-a-dir", "x");  // a file where the directory should be (works as root too)
  HealthStore store(d.path / "not-a-dir" / "governed" / "key-health.json");
  std::vector<std::string> warnings;
  auto r = store.load(t0, warnings);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::io_error);
  CHECK(r.error().message.find("not-a-dir") != std::string::npos);
  auto w = store.merge({{"k", {KeyHealth::invalid, WallTime::max(), "openai"}}}, t0, warnings);
  REQUIRE_FALSE(w);
  CHECK(w.error().code == Errc::io_error);
}

TEST_CASE("health store: the default file follows XDG_CACHE_HOME, then HOME", "[keys][health_store]") {
  const auto save = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  const auto restore = [](const char* name, const std::optional<std::string>& v) {
    if (v) ::setenv(name, v->c_str(), 1);
    else ::unsetenv(name);
  };
  const auto xdg = save("XDG_CACHE_HOME"), home = save("HOME");

  ::setenv("XDG_CACHE_HOME", "/var/cache/me", 1);
  ::setenv("HOME", "/home/me", 1);
  CHECK(default_health_file().value() == fs::path("/var/cache/me/governed/key-health.json"));
  ::setenv("XDG_CACHE_HOME", "relative/cache", 1);  // the XDG specification ignores it
  CHECK(default_health_file().value() == fs::path("/home/me/.cache/governed/key-health.json"));
  ::unsetenv("XDG_CACHE_HOME");
  CHECK(default_health_file().value() == fs::path("/home/me/.cache/governed/key-health.json"));
  ::unsetenv("HOME");
  auto none = default_health_file();
  REQUIRE_FALSE(none);
  CHECK(none.error().code == Errc::invalid_argument);

  restore("XDG_CACHE_HOME", xdg);
  restore("HOME", home);
}

namespace {

// Holds the flock of `file`'s lock file on a descriptor of its own, as another process would.
struct HeldLock {
  int fd = -1;
  explicit HeldLock(const fs::path& file) {
    fs::path lock = file;
    lock += ".lock";
    fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
  }
  ~HeldLock() { ::close(fd); }
};

}  // namespace

TEST_CASE("health store: a lock another process holds is waited for only up to the bound",
          "[keys][health_store]") {
  TempDir d;
  HealthStore store(d.file(), 100ms);
  std::vector<std::string> warnings;
  REQUIRE(store.merge({{"k", {KeyHealth::exhausted, t0 + 2h, "openai"}}}, t0, warnings));
  const std::string before = slurp(d.file());
  {
    HeldLock held(d.file());
    const auto start = std::chrono::steady_clock::now();
    auto r = store.load(t0, warnings);
    auto w = store.merge({{"k2", {KeyHealth::invalid, WallTime::max(), "openai"}}}, t0, warnings);
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::timed_out);
    CHECK(r.error().message.find("key-health.json.lock") != std::string::npos);
    REQUIRE_FALSE(w);
    CHECK(w.error().code == Errc::timed_out);
    CHECK(took >= 200ms);
    CHECK(took < 2s);  // two bounded waits, not a wait for the holder
    CHECK(slurp(d.file()) == before);
  }
  // Released: the next access goes through at once.
  auto r = store.merge({{"k2", {KeyHealth::invalid, WallTime::max(), "openai"}}}, t0, warnings);
  REQUIRE(r);
  CHECK(r->size() == 2);
}

TEST_CASE("health store: a symbolic link in place of the file or its lock is never followed",
          "[keys][health_store]") {
  TempDir d;
  const fs::path elsewhere = d.path / "elsewhere.json";
  const std::string precious = R"({"format": "governed key health", "version": 2, "keys": []})";
  spit(elsewhere, precious);
  std::vector<std::string> warnings;

  fs::create_symlink(elsewhere, d.file());
  auto r = HealthStore(d.file()).load(t0, warnings);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::io_error);
  CHECK(r.error().message.find("symbolic link") != std::string::npos);
  fs::remove(d.file());

  fs::path lock = d.file();
  lock += ".lock";
  fs::remove(lock);
  fs::create_symlink(elsewhere, lock);
  auto w = HealthStore(d.file()).merge({{"k", {KeyHealth::invalid, WallTime::max(), "openai"}}}, t0, warnings);
  REQUIRE_FALSE(w);
  CHECK(w.error().message.find("symbolic link") != std::string::npos);
  CHECK(slurp(elsewhere) == precious);  // the link's target is untouched
}

TEST_CASE("health store: a FIFO in place of the file is refused at once, never read", "[keys][health_store]") {
  TempDir d;
  REQUIRE(::mkfifo(d.file().c_str(), 0600) == 0);
  std::vector<std::string> warnings;
  const auto start = std::chrono::steady_clock::now();
  auto r = HealthStore(d.file(), 100ms).load(t0, warnings);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::io_error);
  CHECK(r.error().message.find("not a regular file") != std::string::npos);
}

TEST_CASE("health store: the directories it creates are private (0700) whatever the umask",
          "[keys][health_store]") {
  for (const mode_t mask : {mode_t{0}, mode_t{022}, mode_t{0777}}) {
    INFO(mask);
    TempDir d;
    const fs::path dir = d.path / "cache" / "governed";
    const mode_t old = ::umask(mask);
    std::vector<std::string> warnings;
    auto r = HealthStore(dir / "key-health.json").merge({{"k", {KeyHealth::invalid, WallTime::max(), "openai"}}},
                                                        t0, warnings);
    ::umask(old);
    REQUIRE(r);
    for (const auto& p : {d.path / "cache", dir}) {
      struct stat st {};
      REQUIRE(::stat(p.c_str(), &st) == 0);
      CHECK((st.st_mode & 07777) == 0700);
    }
  }
  // A directory that exists is the user's choice and keeps its mode.
  TempDir d;
  fs::permissions(d.path, fs::perms(0755));
  std::vector<std::string> warnings;
  REQUIRE(HealthStore(d.file()).load(t0, warnings));
  CHECK((fs::status(d.path).permissions() & fs::perms::all) == fs::perms(0755));
}

TEST_CASE("health store: a writer killed at any point leaves the file readable, never corrupt",
          "[keys][health_store]") {
  TempDir d;
  std::mt19937 rng(42);
  for (int round = 0; round < 20; ++round) {
    INFO(round);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // Writes ever larger files until killed.
      HealthStore store(d.file());
      std::vector<std::string> warnings;
      HealthRecords mine;
      for (int n = 0;; ++n) {
        mine.emplace("key-" + std::to_string(n), HealthRecord{KeyHealth::exhausted, t0 + 1h, "openai"});
        (void)store.merge(mine, t0, warnings);
      }
    }
    // Kill it somewhere in its writes: after the file first appears, plus up to 3 ms.
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (!fs::exists(d.file()) && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 3000)(rng)));
    ::kill(child, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(fs::exists(d.file()));

    std::vector<std::string> warnings;
    auto r = HealthStore(d.file()).load(t0, warnings);
    REQUIRE(r);
    CHECK_FALSE(r->empty());
    CHECK(warnings.empty());  // never set aside: every file it left was whole
    REQUIRE(HealthStore(d.file()).merge({}, t0, warnings));  // and the next writer clears what it left
    CHECK_FALSE(has_entry_starting(d.path, "key-health.json.tmp-"));
  }
}

TEST_CASE("health store: mangled files never crash the reader; what it keeps is always a valid record",
          "[keys][health_store]") {
  HealthRecords mine{
      {"sk-…aaaaaaaaaaaa", {KeyHealth::exhausted, t0 + 8h, "openai"}},
      {HealthKey{"gsk_…bbbbbbbbbbbb", "llama-3.3-70b-versatile"}, {KeyHealth::exhausted, t0 + 1h, "groq"}},
      {"…cccccccccccc", {KeyHealth::invalid, WallTime::max(), "mistral"}},
  };
  const std::string good = keys::detail::render_health_file(mine);
  REQUIRE(keys::detail::parse_health_file(good).records == mine);
  std::mt19937 rng(2025);
  const std::string alphabet = "{}[]\",:0123456789-e.aztrufnl \\";
  for (int n = 0; n < 3000; ++n) {
    std::string text = good;
    const int edits = std::uniform_int_distribution<int>(1, 8)(rng);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = std::uniform_int_distribution<std::size_t>(0, text.size() - 1)(rng);
      switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
        case 0: text[at] = alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)]; break;
        case 1: text.erase(at, 1); break;
        default: text.insert(at, 1, alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)]);
      }
    }
    const auto parsed = keys::detail::parse_health_file(text);
    if (parsed.kind != keys::detail::ParsedHealthFile::Kind::ok) {
      CHECK(parsed.records.empty());
      CHECK_FALSE(parsed.why.empty());
      continue;
    }
    CHECK(parsed.bad_records.size() == parsed.bad_reasons.size());
    for (const auto& [key, r] : parsed.records) {
      CHECK_FALSE(key.fingerprint.empty());
      CHECK(r.health != KeyHealth::healthy);
    }
  }
}
