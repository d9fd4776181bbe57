// Must not compile: streaming through a transport that only sends.
#include <governed/governed.hpp>

#include <memory>
#include <string_view>

struct SendOnly {
  governed::transport::Reply send(const governed::transport::Attempt&) { return {}; }
};

int main() {
  auto state = governed::State<>::create({}).value();
  governed::Governed<SendOnly> g(state, std::make_shared<SendOnly>());
  auto r = g.stream(governed::Request{}, [](std::string_view) {});
  return r ? 0 : 1;
}
