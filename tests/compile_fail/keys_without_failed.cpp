// Must not compile: a key policy that picks but is never told of a failed call.
#include <governed/governor.hpp>

#include <cstddef>
#include <optional>
#include <span>

struct SendOnly {
  governed::transport::Reply send(const governed::transport::Attempt&) { return {}; }
};

struct first_key {
  using family = governed::family::keys;
  std::optional<std::size_t> pick(std::span<const governed::keys::KeyView> keys, governed::Instant,
                                  governed::Random&, governed::keys::AvoidAccount = std::nullopt) const noexcept {
    if (keys.empty()) return std::nullopt;
    return keys.front().index;
  }
};

int main() {
  using G = governed::Governed<SendOnly, first_key>;
  return sizeof(G) > 0 ? 0 : 1;
}
