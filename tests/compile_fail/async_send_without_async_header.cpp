// Must not compile: under core.hpp alone, Governed::async_send's body is not there (it is in
// governed/async.hpp, with Asio's composition machinery); the error names the header to include.
#include <governed/core.hpp>

#include <memory>

struct DecodingTransport {
  static constexpr bool reads_replies = true;
  governed::transport::Reply send(const governed::transport::Attempt&) { return {}; }
};

int main() {
  auto state = governed::State<>::create<governed::keys::no_persistence>(governed::StateConfig{}).value();
  governed::Governed<DecodingTransport> g(state, std::make_shared<DecodingTransport>());
  g.async_send(governed::Request{}, [](governed::Result<governed::Response>) {});
}
