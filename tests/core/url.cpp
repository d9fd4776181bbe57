#include <governed/url.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace url = governed::url;

TEST_CASE("url: a URL is taken apart into scheme, user information, host, port, path, query and fragment",
          "[url]") {
  const auto p = url::split("HTTPS://app:s3cr%40t@API.Example.com:8443/v1/chat?api-version=1#top");
  REQUIRE(p);
  CHECK(p->scheme == "HTTPS");
  CHECK(p->userinfo == std::optional<std::string_view>("app:s3cr%40t"));
  CHECK(p->host == "API.Example.com");  // as written: each kind decides whether to lower it
  CHECK_FALSE(p->ipv6);
  CHECK(p->port == std::optional<std::uint16_t>(8443));
  CHECK(p->path == "/v1/chat");
  CHECK(p->query == std::optional<std::string_view>("api-version=1"));
  CHECK(p->fragment == std::optional<std::string_view>("top"));

  const auto bare = url::split("redis://cache");
  REQUIRE(bare);
  CHECK_FALSE(bare->userinfo);
  CHECK_FALSE(bare->port);
  CHECK(bare->path.empty());
  CHECK_FALSE(bare->query);
  CHECK_FALSE(bare->fragment);

  const auto v6 = url::split("http://[::1]:9000/v1");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->ipv6);
  CHECK(v6->port == std::optional<std::uint16_t>(9000));

  const auto query_only = url::split("https://api.example.com?x=1");
  REQUIRE(query_only);
  CHECK(query_only->host == "api.example.com");
  CHECK(query_only->path.empty());
  CHECK(query_only->query == std::optional<std::string_view>("x=1"));
}

TEST_CASE("url: a password pasted with '@', '?' or '#' in it is read whole where the URL kind allows it",
          "[url]") {
  const auto raw = url::split("redis://app:p@ss?w#rd@cache:6380/2", url::Userinfo::raw);
  REQUIRE(raw);
  CHECK(raw->userinfo == std::optional<std::string_view>("app:p@ss?w#rd"));
  CHECK(raw->host == "cache");
  CHECK(raw->port == std::optional<std::uint16_t>(6380));
  CHECK(raw->path == "/2");

  // RFC 3986 (base URLs): the authority ends at '?' or '#', so an '@' after them is no
  // user information.
  const auto strict = url::split("https://api.example.com?contact=ops@example.com");
  REQUIRE(strict);
  CHECK_FALSE(strict->userinfo);
  CHECK(strict->host == "api.example.com");
  CHECK(strict->query == std::optional<std::string_view>("contact=ops@example.com"));
  // A '/' ends the authority either way.
  const auto slash = url::split("redis://cache/0?user=a@b", url::Userinfo::raw);
  REQUIRE(slash);
  CHECK_FALSE(slash->userinfo);
  CHECK(slash->host == "cache");
}

TEST_CASE("url: unusable URLs are refused with the reason, never with their text", "[url]") {
  const std::pair<const char*, std::string_view> cases[] = {
      {"api.example.com/v1", "it has no scheme (such as https://)"},
      {"https://", "it has no host"},
      {"https://u:hunter2@/v1", "it has no host"},
      {"https://:8080", "it has no host"},
      {"https://ho st", "it holds a space or a control character"},
      {"https://host/\x01", "it holds a space or a control character"},
      {"https://ho~st", "the host name has a character host names can not hold"},
      {"https://host:", "the port is not a number from 1 to 65535"},
      {"https://host:0", "the port is not a number from 1 to 65535"},
      {"https://host:65536", "the port is not a number from 1 to 65535"},
      {"https://host:99999999999", "the port is not a number from 1 to 65535"},
      {"https://host:8x", "the port is not a number from 1 to 65535"},
      {"https://host:1:2", "the port is not a number from 1 to 65535"},
      {"https://[::1", "an IPv6 address has no closing ']'"},
      {"https://[]", "the IPv6 address is empty"},
      {"https://[::1]x", "something follows the IPv6 address"},
      {"https://[::1]:", "the port is not a number from 1 to 65535"},
      {"https://[::1%eth0]", "the IPv6 address is malformed"},
  };
  for (const auto& [text, why] : cases) {
    INFO(text);
    const auto p = url::split(text);
    REQUIRE_FALSE(p);
    CHECK(p.error() == why);
  }
  CHECK(url::split("https://host:65535"));
  CHECK(url::split("https://" + std::string(253, 'a')));
  CHECK(url::split("https://" + std::string(254, 'a')).error() == "the host name is longer than 253 characters");
}

TEST_CASE("url: input is bounded: a URL longer than the limit is refused before it is read", "[url]") {
  const std::string longest = "redis://:" + std::string(url::max_length - 15, 'p') + "@cache";
  REQUIRE(longest.size() == url::max_length);
  CHECK(url::split(longest, url::Userinfo::raw));
  CHECK(url::split(longest + "x", url::Userinfo::raw).error() == "it is longer than 8192 characters");
}

TEST_CASE("url: a fragment, which no server sees, may hold what the rest may not", "[url]") {
  CHECK(url::split("https://host/v1#a b"));
  // Where '#' may belong to a password, a space after it is still refused.
  CHECK_FALSE(url::split("redis://:p#a b@host", url::Userinfo::raw));
}

TEST_CASE("url: percent-decoding turns %XX into its byte, either case of hex", "[url][percent]") {
  CHECK(url::percent_decode("p%40ss") == std::optional<std::string>("p@ss"));
  CHECK(url::percent_decode("%2f%2F") == std::optional<std::string>("//"));
  CHECK(url::percent_decode("%00") == std::optional<std::string>(std::string(1, '\0')));
  CHECK(url::percent_decode("") == std::optional<std::string>(""));
  CHECK(url::percent_decode("a+b") == std::optional<std::string>("a+b"));
  CHECK(url::percent_decode("a+b%2B", {.plus_is_space = true}) == std::optional<std::string>("a b+"));
  // Decoded once: "%2540" is "%40", not "@".
  CHECK(url::percent_decode("%2540") == std::optional<std::string>("%40"));
}

TEST_CASE("url: a malformed escape is refused, or kept as written where curl keeps it", "[url][percent]") {
  for (const char* bad : {"%", "%4", "a%zz", "%g0", "100%", "%-1", "%+1"}) {
    INFO(bad);
    CHECK_FALSE(url::percent_decode(bad));
  }
  const url::Decoding keep{.keep_malformed = true};
  CHECK(url::percent_decode("100%sure", keep) == std::optional<std::string>("100%sure"));
  CHECK(url::percent_decode("%4", keep) == std::optional<std::string>("%4"));
  CHECK(url::percent_decode("%zz%41", keep) == std::optional<std::string>("%zzA"));
}
