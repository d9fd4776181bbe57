// Must not compile: under core.hpp alone, State::create saves key health in the health file by
// default, which keys/health_file.hpp defines; the error says to include it or to ask for
// memory only (keys::no_persistence).
#include <governed/core.hpp>

int main() {
  auto state = governed::State<>::create(governed::StateConfig{});
  return state ? 0 : 1;
}
