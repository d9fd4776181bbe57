#include <governed/providers/classify.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace gp = governed::providers;
using namespace std::chrono_literals;

namespace {

std::filesystem::path vectors_dir() {
  if (const char* env = std::getenv("GOVERNED_VECTORS"); env && *env) return env;
  return std::filesystem::path(__FILE__).parent_path().parent_path() / "data";
}

const governed::WallTime test_now = governed::WallTime{std::chrono::seconds{1'790'000'000}};

struct Case {
  std::string provider;
  int status;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

gp::Verdict run(const Case& c, governed::WallTime now = test_now) {
  std::vector<gp::Header> hs;
  for (const auto& [k, v] : c.headers) hs.push_back({k, v});
  return gp::classify(c.provider, c.status, gp::HeaderView{hs}, c.body, now);
}

}  // namespace

TEST_CASE("every shared reply vector classifies as labelled", "[providers][vectors]") {
  std::ifstream in(vectors_dir() / "provider_replies.jsonl");
  REQUIRE(in);
  std::string line;
  int total = 0, passed = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    ++total;
    Case c{j.at("provider"), j.at("status"), {}, j.at("body")};
    for (const auto& [k, v] : j.at("headers").items()) c.headers.emplace_back(k, v.get<std::string>());
    const auto v = run(c);
    const auto& e = j.at("expect");
    INFO(j.at("id").get<std::string>() << ": got " << gp::to_string(v.kind) << " retryable=" << v.retryable
         << " rotate=" << v.rotate_key << " wait="
         << (v.wait ? std::to_string(std::chrono::duration<double>(*v.wait).count()) : "null"));
    bool ok = gp::to_string(v.kind) == e.at("kind").get<std::string>() &&
              v.retryable == e.at("retryable").get<bool>() && v.rotate_key == e.at("rotate_key").get<bool>();
    if (e.at("wait_seconds").is_null()) {
      ok = ok && !v.wait;
    } else {
      const double want = e.at("wait_seconds").get<double>();
      const double got = v.wait ? std::chrono::duration<double>(*v.wait).count() : -1e9;
      ok = ok && std::abs(got - want) <= std::max(0.01, want * 0.01);
    }
    CHECK(ok);
    passed += ok;
  }
  WARN("provider reply vectors: " << passed << " / " << total << " pass");
  CHECK(total >= 33);
}
