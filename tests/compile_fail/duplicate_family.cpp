// Must not compile: two limiter policies in one pack. The test expects the static_assert's
// message, naming the family.
#include <governed/clock.hpp>
#include <governed/fallback.hpp>
#include <governed/limiter.hpp>
#include <governed/policies.hpp>

struct Defaults {
  using limiter = governed::limiter::gcra;
  using backoff = governed::clock::steady;  // any type: only the limiter family is under test
  using keys = governed::clock::steady;
  using fallback = governed::fallback::none;
  using clock = governed::clock::steady;
};

int main() {
  using P = governed::PolicyPack<Defaults, governed::limiter::gcra, governed::limiter::fixed_window>;
  return sizeof(P::limiter) > 0 ? 0 : 1;
}
