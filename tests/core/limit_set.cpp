#include <governed/limit_set.hpp>

#include <catch2/catch.hpp>

#include <governed/limiter/fixed_window.hpp>
#include <governed/limiter/sliding_window.hpp>
#include <governed/limiter/sliding_window_approx.hpp>
#include <governed/limiter/token_bucket.hpp>

using namespace std::chrono_literals;
using governed::Cost;
using governed::Dimension;
using governed::Duration;
using governed::Errc;
using governed::Instant;
using governed::LimitSetConfig;

namespace {

template <class L = governed::limiter::gcra>
auto make(const LimitSetConfig& c) {
  auto s = governed::make_limit_set<L>(c);
  REQUIRE(s);
  return std::move(*s);
}

}  // namespace

TEST_CASE("admit takes from every dimension or from none", "[limit_set]") {
  LimitSetConfig c;
  c.requests_per_minute = 100;
  c.tokens_per_minute = 10000;
  c.headroom = 0.0;
  c.largest_request_tokens = 6000;
  auto set = make(c);
  const auto rpm_before = set->available(Dimension::requests_per_minute, Instant{});
  REQUIRE(set->admit(1, 6000, Instant{})->admitted);
  CHECK(set->available(Dimension::requests_per_minute, Instant{}) == rpm_before - 1);
  // Tokens refuse the second: the request dimension must not keep its cell.
  auto second = set->admit(1, 6000, Instant{});
  REQUIRE(second);
  CHECK_FALSE(second->admitted);
  CHECK(second->bound == Dimension::tokens_per_minute);
  CHECK(second->retry_after > Duration{0});
  CHECK(set->available(Dimension::requests_per_minute, Instant{}) == rpm_before - 1);
  // And it passes exactly when it said it would.
  const Instant when = Instant{} + second->retry_after;
  CHECK_FALSE(set->admit(1, 6000, when - 1ns)->admitted);
  CHECK(set->admit(1, 6000, when)->admitted);
}

TEST_CASE("the bound dimension is the one with the longest wait", "[limit_set]") {
  LimitSetConfig c;
  c.requests_per_minute = 60;
  c.requests_per_day = 4;
  c.headroom = 0.5;  // RPD: a burst of 2, then 2 a day
  auto set = make(c);
  REQUIRE(set->admit(1, 0, Instant{})->admitted);
  REQUIRE(set->admit(1, 0, Instant{1s})->admitted);
  auto a = set->admit(1, 0, Instant{10s});
  REQUIRE(a);
  CHECK_FALSE(a->admitted);
  CHECK(a->bound == Dimension::requests_per_day);
  CHECK(a->retry_after > 11h);  // the next of 2 a day, 12 h after the burst
}

TEST_CASE("a cost above a dimension's published limit is an error naming it", "[limit_set]") {
  LimitSetConfig c;
  c.tokens_per_minute = 30000;  // burst 4 500 at 15 % headroom
  auto set = make(c);
  auto a = set->admit(1, 30001, Instant{});
  REQUIRE_FALSE(a);
  CHECK(a.error().code == Errc::exceeds_capacity);
  CHECK_THAT(a.error().message, Catch::Contains("30001 tokens") && Catch::Contains("tokens_per_minute") &&
                                    Catch::Contains("at most 30000 in any minute"));
  CHECK(set->available(Dimension::tokens_per_minute, Instant{}) == 4500);
}

TEST_CASE("a cost above the burst but within the published limit waits for rest instead of falling back",
          "[limit_set][oversized]") {
  // governed-demo's cover letters: 5 800 to 7 800 tokens on 30 000 TPM, nothing declared.
  LimitSetConfig c;
  c.requests_per_minute = 500;
  c.tokens_per_minute = 30000;
  auto set = make(c);
  const auto* tpm = set->rate_limiter(Dimension::tokens_per_minute);
  CHECK(tpm->limit().burst == 4500);  // the sustained rate is kept: 25 500 a minute
  CHECK(tpm->limit().cells == 25500);
  auto first = set->admit(1, 7800, Instant{});
  REQUIRE(first);
  CHECK(first->admitted);
  auto second = set->admit(1, 7800, Instant{});
  REQUIRE(second);
  REQUIRE_FALSE(second->admitted);
  CHECK(second->bound == Dimension::tokens_per_minute);
  // (7 800 + 7 800 − 4 500)·T with T = 2.353 ms: under half a minute, never "never".
  CHECK(second->retry_after > 26s);
  CHECK(second->retry_after < 27s);
  const Instant when = Instant{} + second->retry_after;
  CHECK_FALSE(set->admit(1, 7800, when - 1ns)->admitted);
  CHECK(set->admit(1, 7800, when)->admitted);
}

TEMPLATE_TEST_CASE("an oversized admission rolled back because another dimension refused keeps the rest it found",
                   "[limit_set][oversized]", governed::limiter::gcra, governed::limiter::token_bucket) {
  LimitSetConfig c;
  c.tokens_per_minute = 30000;  // burst 4 500
  c.tokens_per_day = 100000;    // burst 15 000
  auto set = make<TestType>(c);
  // The day's burst is spent; the minute is rested.
  REQUIRE(set->admit(1, 15000, Instant{})->admitted);
  const Instant later{10min};
  auto a = set->admit(1, 7000, later);
  REQUIRE(a);
  REQUIRE_FALSE(a->admitted);
  CHECK(a->bound == Dimension::tokens_per_day);
  // The minute took 7 000 and gave them back, with the rest it had: still admissible at once.
  CHECK(set->rate_limiter(Dimension::tokens_per_minute)->peek(7000, later).admitted());
}

TEST_CASE("planning errors name the dimension", "[limit_set]") {
  LimitSetConfig c;
  c.tokens_per_minute = 1000;
  c.largest_request_tokens = 5000;
  auto s = governed::make_limit_set(c);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == Errc::exceeds_capacity);
  CHECK(s.error().message.find("tokens_per_minute") != std::string::npos);
  LimitSetConfig bad;
  bad.requests_per_minute = 10;
  bad.headroom = 1.5;
  CHECK(governed::make_limit_set(bad).error().code == Errc::invalid_argument);
}

TEST_CASE("with no headroom and no size given, a token limit still admits real calls", "[limit_set]") {
  LimitSetConfig c;
  c.tokens_per_minute = 30000;
  c.headroom = 0.0;  // and no largest_request_tokens
  auto set = make(c);
  // The burst is a tenth of the limit, the rest the sustained rate: 3 000 + 27 000 a minute.
  const auto* tpm = set->rate_limiter(Dimension::tokens_per_minute);
  REQUIRE(tpm != nullptr);
  CHECK(tpm->limit().burst == 3000);
  CHECK(set->admit(Cost{1, 1500, 1000}, Instant{})->admitted);
  CHECK_FALSE(set->admit(Cost{1, 1000, 0}, Instant{})->admitted);  // 500 left of the burst
  // A call larger than the burst is admitted on a rested limit; only one above the published
  // limit is refused as never admissible.
  CHECK(make(c)->admit(Cost{1, 3001, 0}, Instant{})->admitted);
  CHECK(make(c)->admit(Cost{1, 30000, 0}, Instant{})->admitted);
  CHECK_FALSE(make(c)->admit(Cost{1, 30001, 0}, Instant{}));
}

TEST_CASE("reconcile gives back an over-estimate and charges an under-estimate", "[limit_set]") {
  LimitSetConfig c;
  c.tokens_per_minute = 10000;
  c.headroom = 0.0;
  c.largest_request_tokens = 5000;  // burst 5 000, 5 000 a minute
  auto set = make(c);
  const auto full = set->available(Dimension::tokens_per_minute, Instant{});
  REQUIRE(full == 5000);
  auto a = set->admit(Cost{1, 4000, 1000}, Instant{});
  REQUIRE(a->admitted);
  CHECK(set->available(Dimension::tokens_per_minute, Instant{}) == 0);
  set->reconcile(*a, Cost{1, 1200, 300}, Instant{});  // really 1 500
  CHECK(set->available(Dimension::tokens_per_minute, Instant{}) == 3500);
  auto b = set->admit(Cost{1, 1000, 0}, Instant{});
  REQUIRE(b->admitted);
  CHECK(set->available(Dimension::tokens_per_minute, Instant{}) == 2500);
  set->reconcile(*b, Cost{1, 4000, 0}, Instant{});  // really 4 000: 500 tokens of debt
  CHECK(set->available(Dimension::tokens_per_minute, Instant{}) == 0);
  auto next = set->admit(Cost{1, 1, 0}, Instant{});
  CHECK_FALSE(next->admitted);
  // The debt drains at 5 000 a minute: 500 tokens of debt plus the one asked for take 6.012 s.
  CHECK(next->retry_after == 6012000000ns);
}

TEST_CASE("input and output tokens count against their own dimensions", "[limit_set]") {
  LimitSetConfig c;
  c.input_tokens_per_minute = 1000;
  c.output_tokens_per_minute = 100;
  c.headroom = 0.0;
  c.largest_request_tokens = 100;
  auto set = make(c);
  CHECK(set->admit(Cost{1, 100, 100}, Instant{})->admitted);
  auto a = set->admit(Cost{1, 100, 1}, Instant{});
  CHECK_FALSE(a->admitted);
  CHECK(a->bound == Dimension::output_tokens_per_minute);
  CHECK(set->available(Dimension::input_tokens_per_minute, Instant{}) ==
        set->rate_limiter(Dimension::input_tokens_per_minute)->limit().burst - 100);
}

TEST_CASE("concurrency is a dimension: the admission holds a lease", "[limit_set]") {
  LimitSetConfig c;
  c.requests_per_minute = 1000;
  c.max_concurrency = 3;
  auto set = make(c);
  std::vector<governed::Admission> running;
  for (int i = 0; i < 3; ++i) {
    auto a = set->admit(1, 0, Instant{});
    REQUIRE(a->admitted);
    running.push_back(std::move(*a));
  }
  auto fourth = set->admit(1, 0, Instant{});
  CHECK_FALSE(fourth->admitted);
  CHECK(fourth->bound == Dimension::concurrency);
  CHECK(set->concurrency().in_flight() == 3);
  running.pop_back();  // one call finished
  CHECK(set->admit(1, 0, Instant{})->admitted);
  CHECK(set->concurrency().in_flight() == 2);  // the temporary admission released its lease
}

TEST_CASE("a refused admission releases its concurrency slot", "[limit_set]") {
  LimitSetConfig c;
  c.requests_per_minute = 1;
  c.headroom = 0.0;
  c.max_concurrency = 1;
  auto set = make(c);
  { REQUIRE(set->admit(1, 0, Instant{})->admitted); }
  auto refused = set->admit(1, 0, Instant{});
  CHECK_FALSE(refused->admitted);
  CHECK(refused->bound == Dimension::requests_per_minute);
  CHECK(set->concurrency().in_flight() == 0);
}

TEST_CASE("the original application's limits: 3 in flight, 15 s stagger, 30 000 TPM at 7 000 a run",
          "[limit_set][schedule]") {
  LimitSetConfig c;
  c.tokens_per_minute = 30000;
  c.headroom = 0.15;
  c.largest_request_tokens = 7000;
  c.max_concurrency = 3;
  c.stagger = 15s;
  auto set = make(c);
  std::vector<Instant> launches;
  Instant t{};
  while (launches.size() < 8) {
    auto a = set->admit(Cost{1, 7000, 0}, t);
    REQUIRE(a);
    if (a->admitted) {
      launches.push_back(t);
      continue;  // the admission (and its lease) ends: calls here take no time
    }
    REQUIRE(a->retry_after > Duration{0});
    t += a->retry_after;
  }
  // Tokens bind, not the stagger: burst 7 000 and 23 000 a minute put launches 18.26 s apart.
  for (std::size_t i = 1; i < launches.size(); ++i) {
    CHECK(launches[i] - launches[i - 1] == 18260872000ns);
  }
}

TEST_CASE("stagger spaces launches when it is the tighter limit", "[limit_set]") {
  LimitSetConfig c;
  c.requests_per_minute = 1000;
  c.stagger = 15s;
  auto set = make(c);
  CHECK(set->admit(1, 0, Instant{})->admitted);
  auto a = set->admit(1, 0, Instant{1s});
  CHECK_FALSE(a->admitted);
  CHECK(a->bound == Dimension::stagger);
  CHECK(a->retry_after == 14s);
  CHECK(set->admit(1, 0, Instant{15s})->admitted);
}

TEST_CASE("sync adopts the provider's remaining count for one dimension", "[limit_set]") {
  LimitSetConfig c;
  c.requests_per_minute = 500;
  auto set = make(c);
  set->sync(Dimension::requests_per_minute, 0, 7s, Instant{});
  auto a = set->admit(1, 0, Instant{});
  CHECK_FALSE(a->admitted);
  CHECK(a->retry_after == 7s);
  set->sync(Dimension::tokens_per_day, 0, 7s, Instant{});  // no such limit: nothing happens
  CHECK(set->admit(1, 0, Instant{7s})->admitted);
}

TEMPLATE_TEST_CASE("every limiter family runs a limit set", "[limit_set]", governed::limiter::token_bucket,
                   governed::limiter::sliding_window, governed::limiter::fixed_window) {
  LimitSetConfig c;
  c.requests_per_minute = 10;
  c.tokens_per_minute = 10000;
  c.largest_request_tokens = 1000;
  auto set = make<TestType>(c);
  int admitted = 0;
  for (int i = 0; i < 100; ++i) admitted += set->admit(1, 1000, Instant{})->admitted ? 1 : 0;
  CHECK(admitted >= 1);
  CHECK(admitted <= 10);
}

TEMPLATE_TEST_CASE("every limiter family admits through a limit set what the published limit admits",
                   "[limit_set][oversized]", governed::limiter::gcra, governed::limiter::token_bucket,
                   governed::limiter::sliding_window, governed::limiter::sliding_window_approx,
                   governed::limiter::fixed_window) {
  LimitSetConfig c;
  c.tokens_per_minute = 30000;  // 15 % headroom, nothing declared
  CHECK(make<TestType>(c)->admit(1, 7800, Instant{1h})->admitted);
  auto set = make<TestType>(c);
  CHECK(set->admit(1, 30000, Instant{1h})->admitted);
  // The whole limit taken: the next waits, it is not refused.
  auto again = set->admit(1, 30000, Instant{1h});
  REQUIRE(again);
  CHECK_FALSE(again->admitted);
  CHECK(again->retry_after >= 1min);
  auto too_big = make<TestType>(c)->admit(1, 30001, Instant{1h});
  REQUIRE_FALSE(too_big);
  CHECK(too_big.error().code == Errc::exceeds_capacity);
}
