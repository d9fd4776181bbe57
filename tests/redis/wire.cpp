// The Redis URL forms, RESP formatting and reading, and a reader fed what no server should send.
#include <governed/redis/reply.hpp>
#include <governed/redis/url.hpp>

#include <catch2/catch.hpp>

#include <string>

using governed::Errc;
using governed::redis::parse_url;
using governed::redis::RespReply;
using governed::redis::ReplyReader;

TEST_CASE("Redis URLs: host, port, database, ACL user and password, TLS", "[redis][url]") {
  auto plain = parse_url("redis://localhost");
  REQUIRE(plain);
  CHECK_FALSE(plain->tls);
  CHECK(plain->host == "localhost");
  CHECK(plain->port == 6379);
  CHECK(plain->db == 0);
  CHECK(plain->password.empty());

  auto full = parse_url("rediss://app:s3cr%40t@cache.internal:6380/4");
  REQUIRE(full);
  CHECK(full->tls);
  CHECK(full->user == "app");
  CHECK(full->password == "s3cr@t");
  CHECK(full->host == "cache.internal");
  CHECK(full->port == 6380);
  CHECK(full->db == 4);

  auto legacy = parse_url("redis://:hunter2@10.0.0.5:7000");  // password only: AUTH <password>
  REQUIRE(legacy);
  CHECK(legacy->user.empty());
  CHECK(legacy->password == "hunter2");

  auto v6 = parse_url("redis://[::1]:6390/2");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 6390);
  CHECK(v6->describe() == "redis://[::1]:6390/2");
}

TEST_CASE("a Redis URL's description never holds the password", "[redis][url][secrets]") {
  auto e = parse_url("rediss://app:hunter2@cache:6380/1");
  REQUIRE(e);
  CHECK(e->describe() == "rediss://app:***@cache:6380/1");
  auto legacy = parse_url("redis://:hunter2@cache");
  REQUIRE(legacy);
  CHECK(legacy->describe().find("hunter2") == std::string::npos);
}

TEST_CASE("malformed Redis URLs are refused with the reason and without the password", "[redis][url]") {
  for (const char* bad : {"http://host", "redis://", "redis://host:", "redis://host:0", "redis://host:70000",
                          "redis://host:63x9", "redis://host/db", "redis://ho st", "redis://[::1", "redis://u:p%zz@h",
                          "redis://user:hunter2@/0"}) {
    INFO(bad);
    auto e = parse_url(bad);
    REQUIRE_FALSE(e);
    CHECK(e.error().code == Errc::invalid_argument);
    CHECK(e.error().message.find("hunter2") == std::string::npos);
  }
}

TEST_CASE("a Redis password pasted with '@', '?' or '#' in it is read whole; a query is ignored", "[redis][url]") {
  auto e = parse_url("rediss://app:p@ss?w#rd@cache:6380/2?timeout=5");
  REQUIRE(e);
  CHECK(e->user == "app");
  CHECK(e->password == "p@ss?w#rd");
  CHECK(e->host == "cache");
  CHECK(e->port == 6380);
  CHECK(e->db == 2);
  CHECK(e->describe() == "rediss://app:***@cache:6380/2");
  // The scheme, like any URL scheme, in either case.
  auto upper = parse_url("REDIS://cache");
  REQUIRE(upper);
  CHECK_FALSE(upper->tls);
  // A URL past the parser's bound is refused, without being repeated.
  auto huge = parse_url("redis://:hunter2" + std::string(9000, 'x') + "@cache");
  REQUIRE_FALSE(huge);
  CHECK(huge.error().message.find("hunter2") == std::string::npos);
}

namespace {

std::string formatted(
std::initializer_list<std::string_view> args) {
  std::string out;
  governed::redis::format_command(out, args);
  return out;
}

}  // namespace

TEST_CASE("commands are formatted as RESP arrays of bulk strings, binary-safe", "[redis][resp]") {
  CHECK(formatted({"PING"}) == "*1\r\n$4\r\nPING\r\n");
  CHECK(formatted({"SET", "k", std::string_view("a\0b", 3)}) == std::string("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\0b\r\n", 29));
  CHECK(formatted({"GET", ""}) == "*2\r\n$3\r\nGET\r\n$0\r\n\r\n");
}

TEST_CASE("the reader returns replies in order, whatever the bytes' split", "[redis][resp]") {
  const std::string stream = "+OK\r\n:42\r\n$5\r\nhello\r\n$-1\r\n-NOSCRIPT No matching script\r\n*2\r\n:1\r\n*1\r\n$1\r\nx\r\n";
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, stream.size()}) {
    INFO("chunk " << chunk);
    ReplyReader r;
    std::vector<RespReply> got;
    for (std::size_t i = 0; i < stream.size(); i += chunk) {
      REQUIRE(r.feed(std::string_view(stream).substr(i, chunk)));
      for (;;) {
        auto next = r.next();
        REQUIRE(next);
        if (!*next) break;
        got.push_back(std::move(**next));
      }
    }
    REQUIRE(got.size() == 6);
    CHECK(got[0].type == RespReply::Type::status);
    CHECK(got[0].text == "OK");
    CHECK(got[1].integer == 42);
    CHECK(got[2].text == "hello");
    CHECK(got[3].is_nil());
    CHECK(got[4].is_error());
    CHECK(got[4].error_code() == "NOSCRIPT");
    REQUIRE(got[5].elements.size() == 2);
    CHECK(got[5].elements[1].elements[0].text == "x");
  }
}

TEST_CASE("bytes that are not RESP are a parse error, not a crash", "[redis][resp]") {
  for (const char* garbage : {"HTTP/1.1 200 OK\r\n", "?what\r\n", ":12ab\r\n", "*-5x\r\n"}) {
    INFO(garbage);
    ReplyReader r;
    auto fed = r.feed(garbage);
    auto next = fed ? r.next() : governed::Result<std::optional<RespReply>>(tl::unexpected(fed.error()));
    REQUIRE_FALSE(next);
    CHECK(next.error().code == Errc::parse_error);
  }
}

TEST_CASE("a reply announcing more than 64 MiB is refused as it arrives, not buffered", "[redis][resp]") {
  ReplyReader r;
  REQUIRE(r.feed("$2000000000\r\n"));
  auto next = r.next();
  REQUIRE(next);
  CHECK_FALSE(*next);  // waiting for the rest
  const std::string mib(1 << 20, 'x');
  governed::Result<void> fed;
  int fed_mib = 0;
  while ((fed = r.feed(mib)) && fed_mib < 100) ++fed_mib;
  REQUIRE_FALSE(fed);
  CHECK(fed.error().code == Errc::parse_error);
  CHECK(fed_mib <= 64);
}

TEST_CASE("nesting deeper than the reader supports is an error", "[redis][resp]") {
  ReplyReader r;
  std::string deep;
  for (int i = 0; i < 20; ++i) deep += "*1\r\n";
  deep += ":1\r\n";
  auto fed = r.feed(deep);
  auto next = fed ? r.next() : governed::Result<std::optional<RespReply>>(tl::unexpected(fed.error()));
  REQUIRE_FALSE(next);
  CHECK(next.error().code == Errc::parse_error);
}

TEST_CASE("an array announcing more elements than governed reads is refused before any allocation", "[redis][resp]") {
  ReplyReader r;
  REQUIRE(r.feed("*222222222\r\n"));
  auto next = r.next();
  REQUIRE_FALSE(next);
  CHECK(next.error().code == Errc::parse_error);
}
