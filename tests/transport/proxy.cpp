#include <governed/transport/proxy.hpp>

#include <governed/wire/url.hpp>

#include <catch2/catch.hpp>

#include <string_view>

using namespace governed;

TEST_CASE("proxy: HTTPS_PROXY with NO_PROXY, loopback always direct", "[wire][proxy]") {
  transport::ProxySettings s{"http://user:p%40ss@proxy.corp:3128", "", "internal.corp, .example.org,10.0.0.1:443"};
  auto target = [](std::string_view url) { return *wire::parse_url(url); };
  auto p = s.for_target(target("https://api.openai.com/v1"));
  REQUIRE(p);
  REQUIRE(*p);
  CHECK((*p)->url.host == "proxy.corp");
  CHECK((*p)->url.port == 3128);
  CHECK((*p)->credentials == "user:p@ss");
  CHECK_FALSE(*s.for_target(target("https://internal.corp/v1")));
  CHECK_FALSE(*s.for_target(target("https://api.internal.corp/v1")));
  CHECK(*s.for_target(target("https://notinternal.corp/v1")));
  CHECK_FALSE(*s.for_target(target("https://a.example.org")));
  CHECK_FALSE(*s.for_target(target("https://10.0.0.1")));
  CHECK(*s.for_target(target("https://10.0.0.1:8443")));
  CHECK_FALSE(*s.for_target(target("https://localhost:8443")));
  CHECK_FALSE(*s.for_target(target("http://127.0.0.1:8080")));  // no HTTP_PROXY set
  CHECK(transport::ProxySettings::parse_proxy("proxy:8080").value()->url.port == 8080);
  CHECK(transport::ProxySettings::parse_proxy("http://proxy").value()->url.port == 1080);
  CHECK_FALSE(transport::ProxySettings::parse_proxy("https://proxy:443"));
  CHECK_FALSE(*transport::ProxySettings{"proxy:1", "", "*"}.for_target(target("https://api.openai.com")));
}

TEST_CASE("proxy: credentials are decoded as curl decodes them, and no error repeats the setting",
          "[wire][proxy]") {
  auto proxy = [](std::string_view spec) { return transport::ProxySettings::parse_proxy(spec); };
  auto raw = proxy("http://user:p@ss#1@Proxy.Corp:3128");
  REQUIRE(raw);
  CHECK((*raw)->credentials == "user:p@ss#1");
  CHECK((*raw)->url.host == "proxy.corp");
  CHECK((*raw)->url.authority(true) == "proxy.corp:3128");
  // A '%' that starts no escape is part of the password, as curl reads it.
  CHECK(proxy("user:100%sure@proxy").value()->credentials == "user:100%sure");
  CHECK(proxy("[::1]:3128").value()->url.authority(true) == "[::1]:3128");
  for (const char* bad : {"http://user:hunter2@pro xy:3128", "http://user:hunter2@proxy:0", "socks5://user:hunter2@proxy",
                          "http://user:hunter2@", "https://user:hunter2@proxy"}) {
    INFO(bad);
    auto p = proxy(bad);
    REQUIRE_FALSE(p);
    CHECK(p.error().code == Errc::invalid_argument);
    CHECK_THAT(p.error().message, !Catch::Contains("hunter2"));
  }
}
