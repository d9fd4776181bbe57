// Must not compile: a call site on the default clock (steady) given a State on the manual
// clock.
#include <governed/clock/manual.hpp>
#include <governed/governor.hpp>
#include <governed/transport/reply_reader.hpp>

#include <memory>

struct SendOnly {
  governed::transport::Reply send(const governed::transport::Attempt&) { return {}; }
};

int main() {
  std::shared_ptr<governed::State<governed::limiter::gcra, governed::clock::manual>> state;
  governed::Governed<SendOnly> g(state, std::make_shared<SendOnly>());
  return g.get_executor() == g.get_executor() ? 0 : 1;
}
