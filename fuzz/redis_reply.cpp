// Fuzzes what governed reads from a Redis server: any bytes, split anywhere, must give replies
// or a parse error — no crash, no hang, no unbounded buffering — and the URL parser any text.
//
// Input layout: byte 0 is the chunk size the bytes are fed in (1–256); the rest is what the
// "server" sends. The same bytes are also parsed as a Redis URL.

#include <governed/redis/reply.hpp>
#include <governed/redis/url.hpp>

#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t chunk = std::size_t{data[0]} + 1;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);

  if (auto e = governed::redis::parse_url(bytes)) {
    // A URL's description depends on whether there is a password, never on what it is.
    governed::redis::Endpoint other = *e;
    other.password = e->password.empty() ? "" : "another secret";
    if (e->describe() != other.describe()) __builtin_trap();
  }

  governed::redis::ReplyReader reader;
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    if (!reader.feed(bytes.substr(at, chunk))) return 0;
    for (;;) {
      auto next = reader.next();
      if (!next) return 0;  // not RESP: the connection would be closed
      if (!*next) break;
      (void)(*next)->error_code();
    }
  }
  return 0;
}
