// Fuzzes the URL parser and the percent-decoder, and the three kinds of URL read with them:
// base URLs, proxy settings and Redis URLs. For any bytes each must answer (parts or a reason),
// the parts must be views into the text, within its bound, and no error may repeat a password.
//
// Input layout: the bytes are a URL as they are, and again behind "<scheme>://u:<marker>@", so
// that the credentials of a URL that is then refused are known and looked for in the error.

#include <governed/redis/url.hpp>
#include <governed/transport/proxy.hpp>
#include <governed/url.hpp>
#include <governed/wire/url.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace url = governed::url;

namespace {

constexpr std::string_view marker = "Zq9-marker-9qZ";

bool inside(std::string_view part, std::string_view text) {
  return part.empty() || (part.data() >= text.data() && part.data() + part.size() <= text.data() + text.size());
}

void check_split(std::string_view text, url::Userinfo userinfo) {
  const auto p = url::split(text, userinfo);
  if (!p) {
    if (p.error().empty()) __builtin_trap();
    return;
  }
  if (text.size() > url::max_length) __builtin_trap();
  if (p->host.empty() || p->host.size() > url::max_host_length) __builtin_trap();
  if (p->port && *p->port == 0) __builtin_trap();
  if (!p->path.empty() && p->path.front() != '/') __builtin_trap();
  for (auto part : {p->scheme, p->userinfo.value_or(""), p->host, p->path, p->query.value_or(""),
                    p->fragment.value_or("")})
    if (!inside(part, text)) __builtin_trap();
}

void check_decode(std::string_view text) {
  if (const auto d = url::percent_decode(text); d && d->size() > text.size()) __builtin_trap();
  const auto kept = url::percent_decode(text, {.keep_malformed = true});
  if (!kept || kept->size() > text.size()) __builtin_trap();
}

void check_kinds(std::string_view text) {
  if (const auto u = governed::wire::parse_url(text)) {
    if (u->host.empty() || u->port == 0) __builtin_trap();
    (void)u->target("/chat/completions", "a=1");
  }
  if (const auto e = governed::redis::parse_url(text)) {
    // A URL's description depends on whether there is a password, never on what it is.
    governed::redis::Endpoint other = *e;
    other.password = e->password.empty() ? "" : "another secret";
    if (e->describe() != other.describe()) __builtin_trap();
  }
  (void)governed::transport::ProxySettings::parse_proxy(text);
}

/// The bytes as the tail of a URL whose password is `marker`: an error never holds it.
void check_secret_kept(std::string_view tail) {
  auto refused_quietly = [](const auto& r) { return r || r.error().message.find(marker) == std::string::npos; };
  const std::string creds = "://u:" + std::string(marker) + "@" + std::string(tail);
  if (!refused_quietly(governed::wire::parse_url("https" + creds))) __builtin_trap();
  if (!refused_quietly(governed::redis::parse_url("redis" + creds))) __builtin_trap();
  if (!refused_quietly(governed::transport::ProxySettings::parse_proxy("http" + creds))) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_split(text, url::Userinfo::strict);
  check_split(text, url::Userinfo::raw);
  check_decode(text);
  check_kinds(text);
  check_secret_kept(text);
  return 0;
}
