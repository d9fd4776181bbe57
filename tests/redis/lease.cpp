// Lease batching's bookkeeping on its own: what a lease takes, serves and gives back, over
// instants the test names. No redis-server: the limit set sends what `end` answers
// (tests/redis/limits.cpp has lease batching against a real server).
#include <governed/redis/lease.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>

using namespace std::chrono_literals;
using governed::Instant;
using governed::SharedDecision;
using governed::redis::Lease;

namespace {

/// A lease of `calls` on a set with requests per minute of burst 4 and tokens per minute of
/// burst 1000, held 100 ms.
Lease rpm_tpm_lease(std::uint32_t calls) {
  Lease::Bursts bursts{};
  bursts[0] = 4;
  bursts[1] = 1000;
  return Lease(calls, 100ms, bursts);
}

/// An admission as Redis answers it, stamped `stamp` in every dimension.
SharedDecision admitted_at(std::int64_t stamp) {
  SharedDecision d;
  d.admitted = true;
  d.stamps.fill(stamp);
  d.epochs.fill(1);
  return d;
}

}  // namespace

TEST_CASE("a lease takes the cells of its calls within each burst, never less than the call's own",
          "[redis][lease]") {
  const Lease lease = rpm_tpm_lease(10);
  // 10 calls of 1 request and 300 tokens: 10 requests capped at the burst of 4; 3 000 tokens
  // capped at 1 000; no cells where the set has no dimension (rpd) or the call asks none.
  const Lease::Cells block = lease.block_for({1, 300, 0, 0, 5, 0});
  CHECK(block == Lease::Cells{4, 1000, 0, 0, 0, 0});
  // A call above the burst takes its own cells (the limit set decides whether they fit).
  CHECK(lease.block_for({6, 0, 0, 0, 0, 0}) == Lease::Cells{6, 0, 0, 0, 0, 0});
  CHECK_FALSE(rpm_tpm_lease(0).batching());
  CHECK_FALSE(rpm_tpm_lease(1).batching());
  CHECK(lease.batching());
}

TEST_CASE("a lease serves the calls it holds cells for without asking Redis, until one does not fit",
          "[redis][lease]") {
  Lease lease = rpm_tpm_lease(10);
  const Instant t0{1h};
  CHECK_FALSE(lease.spend({1, 0, 0, 0, 0, 0}, t0));  // nothing held yet
  const Lease::Cells call{1, 200, 0, 0, 0, 0};
  lease.take(admitted_at(42), lease.block_for(call), call, t0);  // 4 requests, 1 000 tokens; 1 and 200 used
  for (int i = 0; i < 3; ++i) {
    INFO("call " << i + 2);
    auto d = lease.spend(call, t0 + 10ms);
    REQUIRE(d);
    CHECK(d->admitted);
    CHECK(d->stamps[0] == 42);  // the admission the cells were taken in, for its refund
    CHECK(d->available[0] == static_cast<std::uint64_t>(2 - i));
    CHECK(d->available[1] == static_cast<std::uint64_t>(600 - 200 * i));
    CHECK(d->available[4] == UINT64_MAX);  // no such dimension: no limit
  }
  // No request left: the fifth call goes to Redis, and nothing was left unspent but tokens.
  CHECK_FALSE(lease.spend(call, t0 + 20ms));
  auto unspent = lease.end(t0 + 20ms);
  REQUIRE(unspent);
  CHECK(unspent->cells == Lease::Cells{0, 200, 0, 0, 0, 0});
  CHECK(unspent->at == t0 + 20ms);
  CHECK(unspent->taken.stamps[1] == 42);
  CHECK_FALSE(lease.end(t0 + 20ms));  // ended once
}

TEST_CASE("a lease is not spent past its hold, and gives back what it did not spend", "[redis][lease]") {
  Lease lease = rpm_tpm_lease(4);
  const Instant t0{1h};
  const Lease::Cells call{1, 0, 0, 0, 0, 0};
  lease.take(admitted_at(7), lease.block_for(call), call, t0);
  CHECK(lease.spend(call, t0 + 99ms));
  CHECK_FALSE(lease.spend(call, t0 + 100ms));  // held 100 ms: at 100 ms it is over
  auto unspent = lease.end(t0 + 100ms);
  REQUIRE(unspent);
  CHECK(unspent->cells == Lease::Cells{2, 0, 0, 0, 0, 0});
  CHECK(unspent->at == t0 + 100ms);
}

TEST_CASE("a lease ended with no instant of its own gives back as of its hold's end; a spent one gives nothing",
          "[redis][lease]") {
  Lease lease = rpm_tpm_lease(2);
  const Instant t0{1h};
  const Lease::Cells call{1, 0, 0, 0, 0, 0};
  lease.take(admitted_at(7), lease.block_for(call), call, t0);
  auto unspent = lease.end(Instant{});
  REQUIRE(unspent);
  CHECK(unspent->cells == Lease::Cells{1, 0, 0, 0, 0, 0});
  CHECK(unspent->at == t0 + 100ms);

  lease.take(admitted_at(8), lease.block_for(call), call, t0);
  REQUIRE(lease.spend(call, t0));
  CHECK_FALSE(lease.end(t0));  // every cell spent: nothing to refund
}
