// Must not compile: an argument that names no family.
#include <governed/clock.hpp>
#include <governed/policies.hpp>

struct Defaults {
  using limiter = governed::clock::steady;
  using backoff = governed::clock::steady;
  using keys = governed::clock::steady;
  using fallback = governed::clock::steady;
  using clock = governed::clock::steady;
};

int main() {
  using P = governed::PolicyPack<Defaults, int>;
  return sizeof(P::clock) > 0 ? 0 : 1;
}
