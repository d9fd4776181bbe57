#include <governed/observe/alerts.hpp>

#include <governed/clock/manual.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using governed::Alert;
using governed::AlertConfig;
using governed::Alerts;
using governed::EventKind;
using governed::Instant;

namespace {

Alerts alerts_from(Instant start, AlertConfig config = {}) {
  auto a = Alerts::make(config, start);
  REQUIRE(a);
  return std::move(*a);
}

// `n` calls ending at `t`; how many alerts they raised (the last one in `last`).
int calls_ending(Alerts& a, int n, bool failed, Instant t, std::optional<Alert>* last = nullptr) {
  int raised = 0;
  for (int i = 0; i < n; ++i) {
    if (auto alert = a.call_ended(failed, t)) {
      ++raised;
      if (last) *last = std::move(alert);
    }
  }
  return raised;
}

// Spends `usd` in each of hours [from, to), a minute into the hour.
void spend_hourly(Alerts& a, double usd, int from, int to) {
  for (int h = from; h < to; ++h) REQUIRE_FALSE(a.spent(usd, Instant{std::chrono::hours{h} + 1min}));
}

}  // namespace

TEST_CASE("five 429s within a minute on one target do not alert; the sixth does", "[alerts]") {
  governed::clock::manual clock;
  auto a = alerts_from(clock.now());
  for (int i = 0; i < 5; ++i) {
    CHECK_FALSE(a.rate_limited("openai", "gpt-4o", clock.now()));
    clock.advance(10s);
  }
  clock.set(Instant{50s});
  auto alert = a.rate_limited("openai", "gpt-4o", clock.now());
  REQUIRE(alert);
  CHECK(alert->kind == EventKind::alert_rate_limits);
  CHECK(alert->message == "OPENAI (gpt-4o) answered 6 calls with 429 in the last minute (alert above 5).");
  CHECK(alert->provider == "openai");
  CHECK(alert->model == "gpt-4o");
  CHECK(alert->value == 6);
  CHECK(alert->threshold == 5);
}

TEST_CASE("the minute of 429s slides: six spread over 61 seconds do not alert", "[alerts]") {
  auto a = alerts_from(Instant{});
  for (auto t : {0s, 12s, 24s, 36s, 48s}) CHECK_FALSE(a.rate_limited("groq", "llama-3.3-70b-versatile", Instant{t}));
  CHECK_FALSE(a.rate_limited("groq", "llama-3.3-70b-versatile", Instant{61s}));  // the one at 0 s is out
  CHECK(a.rate_limited("groq", "llama-3.3-70b-versatile", Instant{62s}));        // 12 s … 62 s: six
}

TEST_CASE("429s of different targets are counted apart", "[alerts]") {
  auto a = alerts_from(Instant{});
  for (int i = 0; i < 5; ++i) {
    CHECK_FALSE(a.rate_limited("openai", "gpt-4o", Instant{}));
    CHECK_FALSE(a.rate_limited("openai", "gpt-4o-mini", Instant{}));
    CHECK_FALSE(a.rate_limited("groq", "gpt-4o", Instant{}));
  }
}

TEST_CASE("a storm of 429s is one alert; it fires again only after a 429 finds the minute calm", "[alerts]") {
  governed::clock::manual clock;
  auto a = alerts_from(clock.now());
  int raised = 0;
  for (int i = 0; i < 120; ++i) {  // one every 5 s for 10 minutes: 12 a minute
    raised += a.rate_limited("openai", "gpt-4o", clock.now()).has_value();
    clock.advance(5s);
  }
  CHECK(raised == 1);
  clock.advance(2min);
  CHECK_FALSE(a.rate_limited("openai", "gpt-4o", clock.now()));  // 1 in the minute: re-armed
  for (int i = 0; i < 4; ++i) CHECK_FALSE(a.rate_limited("openai", "gpt-4o", clock.now()));
  CHECK(a.rate_limited("openai", "gpt-4o", clock.now()));
}

TEST_CASE("the 429 alert follows its settings: above 2 in 10 seconds", "[alerts]") {
  auto a = alerts_from(Instant{}, {.rate_limits = {.above = 2, .window = 10s}});
  CHECK_FALSE(a.rate_limited("anthropic", "", Instant{0s}));
  CHECK_FALSE(a.rate_limited("anthropic", "", Instant{5s}));
  auto alert = a.rate_limited("anthropic", "", Instant{10s});
  REQUIRE(alert);
  CHECK(alert->message == "ANTHROPIC answered 3 calls with 429 in the last 10 seconds (alert above 2).");
}

TEST_CASE("an error share of exactly 20 % does not alert; above it does", "[alerts]") {
  governed::clock::manual clock;
  auto a = alerts_from(clock.now());
  CHECK(calls_ending(a, 16, false, clock.now()) == 0);
  clock.advance(1min);
  CHECK(calls_ending(a, 4, true, clock.now()) == 0);  // 4 of 20
  clock.advance(1min);
  std::optional<Alert> alert;
  CHECK(calls_ending(a, 1, true, clock.now(), &alert) == 1);  // 5 of 21
  REQUIRE(alert);
  CHECK(alert->kind == EventKind::alert_error_rate);
  CHECK(alert->message == "5 of 21 calls (24 %) failed in the last 5 minutes (alert above 20 %).");
  CHECK(alert->value == Approx(5.0 / 21));
  CHECK(alert->threshold == 0.20);
  CHECK(alert->provider.empty());
}

TEST_CASE("fewer calls than the minimum never alert, however many failed", "[alerts]") {
  auto a = alerts_from(Instant{});
  CHECK(calls_ending(a, 19, true, Instant{}) == 0);
  CHECK(calls_ending(a, 1, true, Instant{}) == 1);  // the 20th call
}

TEST_CASE("a success that brings the window to the minimum is checked with the next failure", "[alerts]") {
  auto a = alerts_from(Instant{});
  CHECK(calls_ending(a, 10, true, Instant{}) == 0);
  CHECK(calls_ending(a, 10, false, Instant{}) == 0);  // 10 of 20: a success only counts
  CHECK(calls_ending(a, 1, true, Instant{}) == 1);    // 11 of 21
}

TEST_CASE("the error window slides by 10-second buckets, and a sustained share is one alert", "[alerts]") {
  auto a = alerts_from(Instant{});
  CHECK(calls_ending(a, 10, false, Instant{0s}) == 0);
  CHECK(calls_ending(a, 10, true, Instant{0s}) == 1);  // 10 of 20
  // 4 min 59 s: the bucket of 0 s is still the oldest of the window; still above, no new alert.
  CHECK(calls_ending(a, 1, true, Instant{299s}) == 0);
  // 5 min: the bucket of 0 s has left the window: 2 of 22 failed, the alert re-arms.
  CHECK(calls_ending(a, 20, false, Instant{300s}) == 0);
  CHECK(calls_ending(a, 1, true, Instant{300s}) == 0);
  CHECK(calls_ending(a, 4, true, Instant{300s}) == 1);  // 6 of 26
}

TEST_CASE("no spend-spike alert before a full day has been watched", "[alerts]") {
  auto a = alerts_from(Instant{});
  spend_hourly(a, 1.0, 0, 23);
  CHECK_FALSE(a.spent(500.0, Instant{23h + 30min}));  // hour 23: only 23 hours behind it
  CHECK(a.spent(500.0, Instant{24h + 30min}));       // hour 24: a full day behind it
}

TEST_CASE("a day watched means 24 whole hours: a start in mid-hour waits for the next hour", "[alerts]") {
  auto a = alerts_from(Instant{30min});
  CHECK_FALSE(a.spent(500.0, Instant{24h + 30min}));  // hour 0 was watched only from 0:30
  CHECK(a.spent(500.0, Instant{25h}));
}

TEST_CASE("an hour's spend of 3 x the trailing mean does not alert; above it does", "[alerts]") {
  auto a = alerts_from(Instant{});
  spend_hourly(a, 1.0, 0, 24);  // $1.00 an hour for a day
  CHECK_FALSE(a.spent(3.0, Instant{24h + 5min}));
  auto alert = a.spent(0.01, Instant{24h + 6min});
  REQUIRE(alert);
  CHECK(alert->kind == EventKind::alert_spend_spike);
  CHECK(alert->value == Approx(3.01));
  CHECK(alert->threshold == Approx(3.0));
  CHECK(alert->message ==
        "Spent $3.01 in the current hour, against an hourly mean of $1.00 over the 24 hours before "
        "(alert above $3.00: 3 \u00d7 the mean, and at least $1.00).");
}

TEST_CASE("spend below the floor is no spike, even against a mean of nothing", "[alerts]") {
  auto a = alerts_from(Instant{});
  CHECK_FALSE(a.spent(0.0001, Instant{24h}));  // a day with no spend, then a tenth of a cent
  CHECK_FALSE(a.spent(0.9, Instant{24h + 1min}));
  CHECK(a.spent(0.2, Instant{24h + 2min}));  // $1.1001: above the $1.00 floor
}

TEST_CASE("a spike that goes on into the next hour is one alert; an hour without one re-arms it",
          "[alerts]") {
  auto a = alerts_from(Instant{});
  spend_hourly(a, 1.0, 0, 24);
  CHECK(a.spent(10.0, Instant{24h + 1min}));         // mean $1: above $3
  CHECK_FALSE(a.spent(10.0, Instant{25h + 1min}));   // mean $1.375, level $4.125: the same spike
  CHECK_FALSE(a.spent(0.5, Instant{26h + 1min}));    // an hour below its level
  CHECK(a.spent(10.0, Instant{27h + 1min}));         // mean $1.73, level $5.19: a new spike
}

TEST_CASE("spend that is nothing, negative or not a number is ignored", "[alerts]") {
  auto a = alerts_from(Instant{});
  CHECK_FALSE(a.spent(0, Instant{24h}));
  CHECK_FALSE(a.spent(-50, Instant{24h}));
  CHECK_FALSE(a.spent(std::nan(""), Instant{24h}));
  CHECK(a.spent(1.5, Instant{24h}));  // none of the above counted as history or spend
}

TEST_CASE("each alert can be disabled", "[alerts]") {
  AlertConfig off;
  off.rate_limits.enabled = false;
  off.error_rate.enabled = false;
  off.spend_spike.enabled = false;
  auto a = alerts_from(Instant{}, off);
  for (int i = 0; i < 50; ++i) {
    CHECK_FALSE(a.rate_limited("openai", "gpt-4o", Instant{}));
    CHECK_FALSE(a.call_ended(true, Instant{}));
  }
  CHECK_FALSE(a.spent(1000.0, Instant{48h}));
}

TEST_CASE("alert settings that can never work are refused with the setting named", "[alerts]") {
  auto refused = [](auto change) {
    AlertConfig c;
    change(c);
    auto a = Alerts::make(c, Instant{});
    REQUIRE_FALSE(a);
    CHECK(a.error().code == governed::Errc::invalid_argument);
    return a.error().message;
  };
  CHECK(refused([](AlertConfig& c) { c.rate_limits.above = 1001; }) ==
        "alerts: rate_limits.above must be at most 1000 429s, not 1001");
  CHECK(refused([](AlertConfig& c) { c.rate_limits.window = 0s; }) ==
        "alerts: rate_limits.window must be longer than 0 and at most 24 hours, not 0 ms");
  CHECK(refused([](AlertConfig& c) { c.error_rate.above = 20; }) ==
        "alerts: error_rate.above must be a share in [0, 1) (0.2 is 20 %), not 20");
  CHECK(refused([](AlertConfig& c) { c.error_rate.above = std::nan(""); }).find("error_rate.above") !=
        std::string::npos);
  CHECK(refused([](AlertConfig& c) { c.error_rate.window = 10s; }) ==
        "alerts: error_rate.window must be between 30 seconds and 24 hours, not 10000 ms");
  CHECK(refused([](AlertConfig& c) { c.error_rate.min_calls = 0; }) ==
        "alerts: error_rate.min_calls must be between 1 and 1000000, not 0");
  CHECK(refused([](AlertConfig& c) { c.spend_spike.factor = 0; }) ==
        "alerts: spend_spike.factor must be above 0 and at most 1000, not 0");
  CHECK(refused([](AlertConfig& c) { c.spend_spike.min_usd = -1; }) ==
        "alerts: spend_spike.min_usd must be between 0 and 100000, not -1");
  CHECK(AlertConfig{}.validate());
}

TEST_CASE("alerts fed from many threads at once: a sustained condition is one alert of each kind",
          "[alerts][concurrency]") {
  auto a = alerts_from(Instant{});
  const Instant t = Instant{24h + 1min};  // a day watched, with no spend: the $1.00 floor applies
  std::atomic<int> rate_limits{0}, error_rate{0}, spikes{0};
  std::vector<std::thread> pool;
  for (int i = 0; i < 8; ++i) {
    pool.emplace_back([&] {
      for (int k = 0; k < 500; ++k) {
        rate_limits += a.rate_limited("openai", "gpt-4o", t).has_value();
        error_rate += a.call_ended(true, t).has_value();
        spikes += a.spent(0.01, t).has_value();  // $40 in all
      }
    });
  }
  for (auto& th : pool) th.join();
  CHECK(rate_limits == 1);
  CHECK(error_rate == 1);
  CHECK(spikes == 1);
}

TEST_CASE("calls counted from many threads while the error buckets turn over are all counted",
          "[alerts][concurrency]") {
  auto a = alerts_from(Instant{});
  std::vector<std::thread> pool;
  for (int i = 0; i < 8; ++i) {
    pool.emplace_back([&] {
      // 300 successes each over 30 s: three 10-second buckets, turned over by whichever thread
      // gets there first.
      for (int k = 0; k < 300; ++k) (void)a.call_ended(false, Instant{k * 100ms});
    });
  }
  for (auto& th : pool) th.join();
  // 2400 successes: the share goes above 20 % at the 601st failure, not one sooner.
  const Instant t = Instant{29s};
  CHECK(calls_ending(a, 600, true, t) == 0);
  CHECK(calls_ending(a, 1, true, t) == 1);
}
