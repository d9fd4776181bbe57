// governed-sim's limit, failure and time flags, each checked on the real program: it is
// started with the flag, asked over loopback HTTP in OpenAI's wire format (through
// transport::http), and the flag's effect is read from its replies — the status, OpenAI's
// rate-limit headers and error body, and how the classifier reads them.
#include "sim_process.hpp"

#include <governed/dialect/classify.hpp>
#include <governed/providers/classify.hpp>
#include <governed/transport/http.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace governed;
using namespace std::chrono_literals;
using governed_test::SimProcess;
using json = nlohmann::json;

namespace {

constexpr std::string_view sim_key = "sk-sim-flags-aaaaaaaaaaaa";

/// governed-sim serving OpenAI with one key and no simulated latency, plus `flags`.
SimProcess start_sim(std::vector<std::string> flags) {
  std::vector<std::string> all{"--provider", "openai", "--keys", std::string(sim_key), "--latency-ms", "0",
                               "--token-ms", "0"};
  all.insert(all.end(), flags.begin(), flags.end());
  auto p = SimProcess::start(std::move(all));
  if (!p) FAIL(p.error().message);
  return std::move(*p);
}

/// A client of the program: one OpenAI chat completion per call, over loopback HTTP.
struct SimClient {
  explicit SimClient(const SimProcess& sim) : base(sim.base_url("openai")) { REQUIRE_FALSE(base.empty()); }

  transport::Reply ask(std::uint32_t max_tokens = 16) {
    Request r;
    r.messages = {{"user", "Say hello."}};
    r.max_tokens = max_tokens;
    auto reply = http.send({r, "openai", "gpt-4o-mini", base, sim_key});
    INFO(reply.failure_detail);
    REQUIRE_FALSE(reply.failure);
    return reply;
  }

  std::string base;
  transport::http http{[] {
    transport::HttpOptions o;
    o.proxy = transport::ProxySettings::none();
    o.timeouts.total = 5s;
    return o;
  }()};
};

std::optional<std::string> header_of(const transport::Reply& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return std::nullopt;
}

std::int64_t number_header(const transport::Reply& r, std::string_view name) {
  auto v = header_of(r, name);
  INFO(name);
  REQUIRE(v);
  return std::stoll(*v);
}

providers::Verdict verdict_of(const transport::Reply& r) {
  std::vector<providers::Header> hs;
  for (const auto& [k, v] : r.headers) hs.push_back({k, v});
  return dialect::classify("openai", r.status, providers::HeaderView{hs}, r.body, WallTime{});
}

std::int64_t prompt_tokens(const transport::Reply& r) { return json::parse(r.body).at("usage").at("prompt_tokens"); }

/// The statuses of `n` requests in a row.
std::vector<int> statuses_of(SimClient& client, int n) {
  std::vector<int> out;
  for (int i = 0; i < n; ++i) out.push_back(client.ask().status);
  return out;
}

}  // namespace

TEST_CASE("governed-sim --tpm: once a minute's tokens are spent, the next request is a 429 with OpenAI's headers",
          "[sim_flags]") {
  auto sim = start_sim({"--tpm", "100"});
  SimClient client(sim);

  // A request costs its prompt and the tokens it generates (max_tokens here). The first one
  // shows the prompt's cost; the second spends exactly what is left of the 100.
  const auto first = client.ask(30);
  REQUIRE(first.status == 200);
  const std::int64_t prompt = prompt_tokens(first);
  CHECK(number_header(first, "x-ratelimit-limit-tokens") == 100);
  CHECK(number_header(first, "x-ratelimit-remaining-tokens") == 100 - (prompt + 30));
  const std::int64_t rest = 100 - (prompt + 30) - prompt;
  REQUIRE(rest >= 1);
  REQUIRE(rest <= 64);  // what the simulator generates at most
  const auto second = client.ask(static_cast<std::uint32_t>(rest));
  REQUIRE(second.status == 200);
  CHECK(number_header(second, "x-ratelimit-remaining-tokens") == 0);

  const auto refused = client.ask(1);
  CHECK(refused.status == 429);
  CHECK(number_header(refused, "x-ratelimit-limit-tokens") == 100);
  CHECK(number_header(refused, "x-ratelimit-remaining-tokens") == 0);
  CHECK(header_of(refused, "x-ratelimit-reset-tokens"));
  const std::int64_t retry_after = number_header(refused, "retry-after");
  CHECK(retry_after >= 1);
  CHECK(retry_after <= 60);
  const json error = json::parse(refused.body).at("error");
  CHECK(error.at("type") == "tokens");
  CHECK(error.at("code") == "rate_limit_exceeded");
  CHECK_THAT(error.at("message").get<std::string>(),
             Catch::Contains(fmt::format("tokens per min (TPM): Limit 100, Used 100, Requested {}", prompt + 1)));
  CHECK(verdict_of(refused).kind == providers::Kind::rate_limit_tokens);
}

TEST_CASE("governed-sim --rpd: the request after the day's N is a daily 429 that waits out the day", "[sim_flags]") {
  auto sim = start_sim({"--rpd", "3"});
  SimClient client(sim);
  for (int i = 0; i < 3; ++i) {
    const auto ok = client.ask();
    REQUIRE(ok.status == 200);
    CHECK(number_header(ok, "x-ratelimit-limit-requests") == 3);
    CHECK(number_header(ok, "x-ratelimit-remaining-requests") == 2 - i);
  }
  const auto refused = client.ask();
  CHECK(refused.status == 429);
  CHECK(number_header(refused, "x-ratelimit-remaining-requests") == 0);
  // The day's window frees the first request a day after it was made: nearly 24 h away.
  const std::int64_t retry_after = number_header(refused, "retry-after");
  CHECK(retry_after > 86'300);
  CHECK(retry_after <= 86'400);
  const json error = json::parse(refused.body).at("error");
  CHECK(error.at("type") == "requests");
  CHECK_THAT(error.at("message").get<std::string>(), Catch::Contains("requests per day (RPD): Limit 3, Used 3, Requested 1"));
  // What the governor does with it: the account is out for the day, not backed off.
  CHECK(verdict_of(refused).kind == providers::Kind::rate_limit_requests_daily);
  // And it stays refused: a day's limit does not clear in a minute.
  CHECK(client.ask().status == 429);
}

TEST_CASE("governed-sim --fail-rate: about that share of requests fail with 503 or 500, the same ones for one --seed",
          "[sim_flags]") {
  constexpr int n = 200;
  const std::vector<std::string> common{"--fail-rate", "0.3", "--rpm", "100000"};
  auto run = [&](std::string seed) {
    auto flags = common;
    flags.insert(flags.end(), {"--seed", seed});
    auto sim = start_sim(flags);
    SimClient client(sim);
    return statuses_of(client, n);
  };
  const auto a = run("11");
  int failed = 0, overloaded = 0, server_errors = 0;
  for (int s : a) {
    CHECK((s == 200 || s == 503 || s == 500));
    failed += s != 200;
    overloaded += s == 503;
    server_errors += s == 500;
  }
  // 0.3 of 200 is 60; the binomial spread is about 6.5, so 34..86 is four of them each way.
  CHECK(failed >= 34);
  CHECK(failed <= 86);
  // Half the injected failures are capacity (503), half server errors (500).
  CHECK(overloaded > 0);
  CHECK(server_errors > 0);
  // The seed fixes which requests fail: the same seed, the same run; another, another.
  CHECK(run("11") == a);
  CHECK(run("12") != a);
}

TEST_CASE("governed-sim --fail-rate: 0 fails no request, 1 fails every one", "[sim_flags]") {
  auto none = start_sim({"--fail-rate", "0", "--rpm", "100000"});
  SimClient calm(none);
  CHECK(statuses_of(calm, 20) == std::vector<int>(20, 200));
  auto all = start_sim({"--fail-rate", "1", "--rpm", "100000"});
  SimClient failing(all);
  for (int s : statuses_of(failing, 20)) CHECK((s == 503 || s == 500));
}

TEST_CASE("governed-sim --time-scale: a minute's window passes k times faster in real time", "[sim_flags]") {
  // At 200 simulated seconds per real second, the minute a one-request-per-minute limit holds
  // the next request back lasts 0.3 s of real time.
  constexpr double scale = 200;
  constexpr auto real_minute = std::chrono::duration<double>(60.0 / scale);
  auto sim = start_sim({"--rpm", "1", "--time-scale", "200"});
  SimClient client(sim);

  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(client.ask().status == 200);
  const auto refused = client.ask();
  REQUIRE(refused.status == 429);
  // The simulator speaks in simulated time: the wait is (nearly) a whole minute.
  const auto v = verdict_of(refused);
  REQUIRE(v.wait);
  CHECK(*v.wait > 55s);
  CHECK(*v.wait <= 60s);

  // Asked again every 10 ms until admitted (at most 5 s of real time): the pause only paces
  // the asking; what is measured is when the program lets a request through.
  std::optional<std::chrono::steady_clock::duration> admitted_after;
  while (std::chrono::steady_clock::now() - t0 < 5s) {
    const int status = client.ask().status;
    if (status == 200) {
      admitted_after = std::chrono::steady_clock::now() - t0;
      break;
    }
    REQUIRE(status == 429);
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(admitted_after);
  const double seconds = std::chrono::duration<double>(*admitted_after).count();
  CAPTURE(seconds);
  CHECK(seconds >= real_minute.count());
  CHECK(seconds < real_minute.count() + 1.0);
}
