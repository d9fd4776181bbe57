// Must not compile: a call site with the token bucket given a State with GCRA, the default.
#include <governed/governor.hpp>
#include <governed/limiter/token_bucket.hpp>
#include <governed/transport/reply_reader.hpp>

#include <memory>

struct SendOnly {
  governed::transport::Reply send(const governed::transport::Attempt&) { return {}; }
};

int main() {
  std::shared_ptr<governed::State<>> state;
  governed::Governed<SendOnly, governed::limiter::token_bucket> g(state, std::make_shared<SendOnly>());
  return g.get_executor() == g.get_executor() ? 0 : 1;
}
