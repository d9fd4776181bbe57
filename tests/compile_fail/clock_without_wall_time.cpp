// Must not compile: a clock policy with a monotonic time but no wall-clock time.
#include <governed/governor.hpp>

struct SendOnly {
  governed::transport::Reply send(const governed::transport::Attempt&) { return {}; }
};

struct monotonic_only {
  using family = governed::family::clock;
  governed::Instant now() const noexcept { return {}; }
  void sleep_until(governed::Instant) {}
};

int main() {
  using G = governed::Governed<SendOnly, monotonic_only>;
  return sizeof(G) > 0 ? 0 : 1;
}
