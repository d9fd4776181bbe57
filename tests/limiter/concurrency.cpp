#include <governed/limiter/concurrency.hpp>

#include <catch2/catch.hpp>

using governed::limiter::concurrency;

TEST_CASE("concurrency leases are RAII: released on scope exit, moves keep one slot", "[limiter][concurrency_limit]") {
  concurrency c{2};
  {
    auto a = c.try_acquire();
    auto b = c.try_acquire();
    CHECK(a);
    CHECK(b);
    CHECK(c.in_flight() == 2);
    auto refused = c.try_acquire();
    CHECK_FALSE(refused);
    auto moved = std::move(a);
    CHECK_FALSE(a);
    CHECK(moved);
    CHECK(c.in_flight() == 2);
    moved.release();
    CHECK(c.in_flight() == 1);
    moved.release();  // idempotent
    CHECK(c.in_flight() == 1);
  }
  CHECK(c.in_flight() == 0);
}

TEST_CASE("concurrency of 0 is unbounded", "[limiter][concurrency_limit]") {
  concurrency c{0};
  CHECK(c.unbounded());
  std::vector<concurrency::Lease> leases;
  for (int i = 0; i < 1000; ++i) leases.push_back(c.try_acquire());
  CHECK(c.in_flight() == 1000);
}
