// Must not compile: a backoff policy that says how long to wait but never how often.
#include <governed/governor.hpp>

#include <optional>

struct SendOnly {
  governed::transport::Reply send(const governed::transport::Attempt&) { return {}; }
};

struct one_second {
  using family = governed::family::backoff;
  std::optional<governed::Duration> next(const governed::backoff::RetryState&, governed::Random&) const noexcept {
    return governed::Duration{std::chrono::seconds{1}};
  }
  governed::Result<void> validate() const { return {}; }
};

int main() {
  using G = governed::Governed<SendOnly, one_second>;
  return sizeof(G) > 0 ? 0 : 1;
}
