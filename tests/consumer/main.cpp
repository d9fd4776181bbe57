// A consumer of the package: includes the umbrella header and admits on a limit.
#include <governed/governed.hpp>

int main() {
  governed::clock::manual clock;
  governed::limiter::gcra rpm{{60, std::chrono::minutes{1}, 1}};
  const bool first = rpm.try_acquire(1, clock.now()).admitted();
  const bool second = rpm.try_acquire(1, clock.now()).admitted();
  return first && !second ? 0 : 1;
}
