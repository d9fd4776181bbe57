// Must not compile: a fallback policy that names its family but plans nothing.
#include <governed/governor.hpp>

struct SendOnly {
  governed::transport::Reply send(const governed::transport::Attempt&) { return {}; }
};

struct nowhere_else {
  using family = governed::family::fallback;
};

int main() {
  using G = governed::Governed<SendOnly, nowhere_else>;
  return sizeof(G) > 0 ? 0 : 1;
}
