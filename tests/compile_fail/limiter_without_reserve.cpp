// Must not compile: a limiter policy that only answers yes or no.
#include <governed/governor.hpp>

#include <cstdint>

struct SendOnly {
  governed::transport::Reply send(const governed::transport::Attempt&) { return {}; }
};

struct always_yes {
  using family = governed::family::limiter;
  explicit always_yes(const governed::limiter::Limit&) {}
  governed::limiter::Decision try_acquire(std::uint64_t, governed::Instant) { return {}; }
};

int main() {
  using G = governed::Governed<SendOnly, always_yes>;
  return sizeof(G) > 0 ? 0 : 1;
}
