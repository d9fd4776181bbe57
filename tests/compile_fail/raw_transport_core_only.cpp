// Must not compile: under core.hpp alone, a transport that hands back bytes only (no
// Reply::completion/error, no `reads_replies`) has nobody to read its replies; the error says
// to include transport/reply_reader.hpp, or to read them in the transport.
#include <governed/core.hpp>

#include <memory>

struct BytesOnly {
  governed::transport::Reply send(const governed::transport::Attempt&) { return {}; }
};

int main() {
  auto state = governed::State<>::create<governed::keys::no_persistence>({}).value();
  governed::Governed<BytesOnly> g(state, std::make_shared<BytesOnly>());
  return g.send(governed::Request{}) ? 0 : 1;
}
