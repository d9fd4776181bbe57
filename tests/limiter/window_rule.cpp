// The window rule: a published limit L per window W becomes a limiter (through the family's
// `derive`) under which ANY closed window of length W holds at most L cells — so a provider
// enforcing a sliding window never sees more. Checked over long randomised schedules mixing
// admissions, reservations, cancellations and refunds, of requests within the burst and of
// oversized ones (above the burst, up to L), for every family.
#include <governed/limiter.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

using namespace std::chrono_literals;
using governed::Duration;
using governed::Instant;
using namespace governed::limiter;

namespace {

struct Sent {
  Instant at;
  std::uint64_t cells;
};

// The most cells any closed window [s, s + W] holds; windows starting at each send suffice.
std::uint64_t busiest_window(std::vector<Sent> sent, Duration w) {
  std::sort(sent.begin(), sent.end(), [](const Sent& a, const Sent& b) { return a.at < b.at; });
  std::uint64_t best = 0, sum = 0;
  std::size_t end = 0;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    while (end < sent.size() && sent[end].at <= sent[i].at + w) sum += sent[end++].cells;
    best = std::max(best, sum);
    sum -= sent[i].cells;
  }
  return best;
}

struct Scenario {
  std::uint64_t limit;
  Duration window;
  double headroom;
  /// The largest request declared to `derive`.
  std::uint64_t largest;
  /// Planned skew allowance; each admitted call then reaches the "provider" up to this much
  /// later, by a random delay of its own.
  Duration skew{0};
  /// The largest request sent (0: `largest`): above the planned burst, requests are oversized.
  std::uint64_t biggest = 0;

  std::uint64_t sent_max() const { return biggest ? biggest : largest; }
};

template <class L>
void run(const Scenario& sc, std::uint64_t seed) {
  // Every request up to the published limit can be planned for, whatever the headroom.
  auto planned = L::derive(PublishedLimit{sc.limit, sc.window}, Headroom{sc.headroom, sc.largest, sc.skew});
  REQUIRE(planned);
  INFO("limit " << sc.limit << " headroom " << sc.headroom << " largest " << sc.largest << " sent up to "
                << sc.sent_max() << " seed " << seed);
  L l{*planned};
  std::mt19937_64 rng{seed};
  // Offered load about twice the limit, with idle spells, so every limiter saturates and rests.
  const double mean_cells = (1.0 + static_cast<double>(sc.sent_max())) / 2.0;
  const auto mean_gap = static_cast<std::int64_t>(static_cast<double>(sc.window.count()) * mean_cells /
                                                  static_cast<double>(sc.limit) / 2.0);
  std::uniform_int_distribution<std::uint64_t> size(1, sc.sent_max());
  // Above this a request is oversized: it waits for the limit to rest, it is never refused.
  const std::uint64_t burst = std::min(planned->burst, planned->cells);
  std::size_t oversized = 0;
  std::uniform_int_distribution<std::int64_t> gap(0, 2 * std::max<std::int64_t>(mean_gap, 1));
  std::uniform_int_distribution<int> op(0, 99);
  std::uniform_int_distribution<std::int64_t> delay(0, sc.skew.count());
  // When the call reaches the provider: admitted, plus a delay of its own within the skew.
  auto arrival = [&](Instant admitted) { return sc.skew.count() > 0 ? admitted + Duration{delay(rng)} : admitted; };

  std::vector<Sent> sent;
  struct Refundable {
    std::size_t index;
    Instant stamp;
  };
  std::vector<Refundable> open;
  Instant t{Duration{static_cast<std::int64_t>(seed % 1000) * 1'000'000}};
  const int steps = 6000;
  for (int i = 0; i < steps; ++i) {
    const int o = op(rng);
    if (o < 2) t += sc.window * 2;  // an idle spell
    else t += Duration{gap(rng)};
    const std::uint64_t n = size(rng);
    if (o < 75) {
      const Decision d = l.try_acquire(n, t);
      REQUIRE(d.answer != Answer::exceeds_capacity);
      if (d.admitted()) {
        sent.push_back({arrival(t), n});
        if (n > burst) ++oversized;
        if (o % 4 == 0) open.push_back({sent.size() - 1, d.stamp});
      }
    } else if (o < 90) {
      auto r = l.reserve(n, t);
      if (!r) {
        REQUIRE(r.error().code == governed::Errc::too_far_ahead);
        continue;
      }
      if (r->wait(t) > sc.window) {
        l.cancel(*r, t);  // too long a wait: abandoned, its cells given back
      } else {
        sent.push_back({arrival(r->ready_at), n});
        if (n > burst) ++oversized;
      }
    } else if (!open.empty()) {
      // The real usage of an earlier admission came in below its estimate.
      const Refundable back = open.back();
      open.pop_back();
      Sent& s = sent[back.index];
      const std::uint64_t unused = s.cells / 2;
      l.refund(unused, back.stamp, t);
      s.cells -= unused;
    }
  }
  CHECK(sent.size() > static_cast<std::size_t>(steps) / 20);
  if (sc.sent_max() > burst) CHECK(oversized > 0);
  CHECK(busiest_window(sent, sc.window) <= sc.limit);
}

const std::vector<Scenario> scenarios{
    {60, 1min, 0.15, 1},       {60, 1min, 0.0, 1},        {3, 1min, 0.15, 1},
    {1, 1min, 0.0, 1},         {30000, 1min, 0.15, 7000}, {30000, 1min, 0.0, 7000},
    {30000, 1min, 0.15, 500},  {14400, 24h, 0.15, 1},     {1000, 1s, 0.3, 40},
    {100, 1min, 0.15, 100},
    // Calls reaching the provider up to a second apart from their admission order.
    {60, 1min, 0.15, 1, 1s},   {30000, 1min, 0.15, 7000, 1s}, {30000, 1min, 0.0, 500, 1s},
    {1, 1min, 0.0, 1, 1s},     {200000, 1min, 0.15, 7000, 2s},
    // Oversized requests beside ones within the burst: governed-demo's cover letters (5 800 to
    // 7 800 tokens) on 30 000 TPM with nothing declared, requests up to the whole limit, and
    // the same with skew.
    {30000, 1min, 0.15, 3000, 0s, 7800}, {30000, 1min, 0.15, 1, 0s, 30000},
    {30000, 1min, 0.0, 500, 0s, 30000},  {60, 1min, 0.15, 1, 0s, 60},
    {100, 1min, 0.3, 10, 1s, 100},       {1000, 1s, 0.15, 40, 0s, 900},
    {3, 1min, 0.15, 1, 0s, 3},           {200000, 1min, 0.15, 7000, 2s, 150000},
};

}  // namespace

TEMPLATE_TEST_CASE("no window of the provider's length ever holds more than the published limit",
                   "[limiter][window_rule]", gcra, token_bucket, sliding_window, sliding_window_approx,
                   fixed_window) {
  std::uint64_t seed = 1;
  for (const auto& sc : scenarios) {
    for (int rep = 0; rep < 3; ++rep) run<TestType>(sc, seed++);
  }
}

TEST_CASE("derive plans the rate families with burst and rate summing to the limit", "[limiter][derive]") {
  // 30 000 TPM, 15 % headroom: a 4 500-token burst and 25 500 a minute, and requests up to
  // the whole 30 000 admitted (those above the burst after a rest).
  auto small = gcra::derive({30000, 1min}, {0.15, 1});
  REQUIRE(small);
  CHECK(*small == Limit{25500, 1min, 4500, 30000});
  // 7 000-token requests declared get a 7 000 burst, so the rate gives way: 23 000 a minute.
  auto large = gcra::derive({30000, 1min}, {0.15, 7000});
  REQUIRE(large);
  CHECK(*large == Limit{23000, 1min, 7000, 30000});
  // 3 RPM: a burst of 1 and 2 a minute.
  auto free_tier = token_bucket::derive({3, 1min}, {0.15, 1});
  REQUIRE(free_tier);
  CHECK(*free_tier == Limit{2, 1min, 1, 3});
  // 1 RPM: the burst is the whole limit, so the next cell waits a full window.
  auto one = gcra::derive({1, 1min}, {0.15, 1});
  REQUIRE(one);
  CHECK(*one == Limit{1, 1min + 1ns, 1, 1});
}

TEMPLATE_TEST_CASE("headroom never makes unservable a request the published limit admits",
                   "[limiter][derive][oversized]", gcra, token_bucket, sliding_window, sliding_window_approx,
                   fixed_window) {
  // 30 000 TPM at 15 % headroom, no request size declared: an empty window serves anything up
  // to 30 000 tokens, and so does the limiter; only 30 001 can never pass.
  for (const std::uint64_t n : {4500u, 4501u, 7800u, 15001u, 25501u, 30000u}) {
    auto planned = TestType::derive({30000, 1min}, {0.15, 1});
    REQUIRE(planned);
    CHECK(largest_request(*planned) == 30000);
    TestType l{*planned};
    INFO(n << " tokens");
    CHECK(l.peek(n, Instant{1h}).admitted());
    CHECK(l.try_acquire(n, Instant{1h}).admitted());
  }
  auto planned = TestType::derive({30000, 1min}, {0.15, 1});
  TestType l{*planned};
  CHECK(l.try_acquire(30001, Instant{1h}).answer == Answer::exceeds_capacity);
  auto r = l.reserve(30001, Instant{1h});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == governed::Errc::exceeds_capacity);
  CHECK_THAT(r.error().message, Catch::Contains("30000"));
}

TEST_CASE("derive plans over the provider's window plus the skew allowance", "[limiter][derive]") {
  // A call may arrive up to 1 s after one admitted with it: the same cells over 61 s.
  auto rate = gcra::derive({30000, 1min}, {0.15, 1, 1s});
  REQUIRE(rate);
  CHECK(*rate == Limit{25500, 61s, 4500, 30000});
  auto window = sliding_window::derive({30000, 1min}, {0.15, 7000, 1s});
  REQUIRE(window);
  CHECK(*window == Limit{25500, 61s, 25500, 30000});
  auto split = fixed_window::derive({30000, 1min}, {0.15, 7000, 1s});
  REQUIRE(split);
  CHECK(*split == Limit{15000, 61s, 15000, 30000});
  // A skew longer than the window itself is a mistake, not a plan.
  CHECK(gcra::derive({60, 1s}, {0.15, 1, 2s}).error().code == governed::Errc::invalid_argument);
  CHECK(gcra::derive({60, 1min}, {0.15, 1, -1s}).error().code == governed::Errc::invalid_argument);
}

TEST_CASE("derive plans windows from what a boundary can double", "[limiter][derive]") {
  auto fixed = fixed_window::derive({30000, 1min}, {0.15, 7000});
  REQUIRE(fixed);
  CHECK(fixed->cells == 15000);  // two windows' worth meet at a boundary
  auto exact = sliding_window::derive({30000, 1min}, {0.15, 7000});
  REQUIRE(exact);
  CHECK(exact->cells == 25500);
  // A request above half the limit is oversized, not refused: it goes where its neighbours
  // leave room for it.
  auto big = sliding_window_approx::derive({10000, 1min}, {0.15, 7000});
  REQUIRE(big);
  CHECK(*big == Limit{5000, 1min, 5000, 10000});
  // 1 a minute: one cell in any two counted windows.
  auto one = fixed_window::derive({1, 1min}, {0.0, 1});
  REQUIRE(one);
  CHECK(*one == Limit{1, 1min, 1, 1});
}

TEST_CASE("derive refuses what can never be planned", "[limiter][derive]") {
  CHECK(gcra::derive({0, 1min}, {}).error().code == governed::Errc::invalid_argument);
  CHECK(gcra::derive({10, 0s}, {}).error().code == governed::Errc::invalid_argument);
  CHECK(gcra::derive({10, 1min}, {1.0, 1}).error().code == governed::Errc::invalid_argument);
  CHECK(gcra::derive({10, 1min}, {-0.1, 1}).error().code == governed::Errc::invalid_argument);
  CHECK(gcra::derive({10, 1min}, {0.15, 11}).error().code == governed::Errc::exceeds_capacity);
}
