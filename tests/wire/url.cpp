#include <governed/wire/url.hpp>

#include <governed/dialect/request.hpp>

#include "../dialect/chat.hpp"

#include <catch2/catch.hpp>

using namespace governed;
using governed_test::chat;
namespace gp = governed::providers;

TEST_CASE("wire: base URLs that can not be used are refused with the reason", "[wire][url]") {
  auto u = wire::parse_url("HTTPS://API.Example.com:8443/v1/?x=1");
  REQUIRE(u);
  CHECK(u->tls);
  CHECK(u->host == "api.example.com");
  CHECK(u->port == 8443);
  CHECK(u->path == "/v1");
  CHECK(u->target("/chat") == "/v1/chat?x=1");
  auto v6 = wire::parse_url("http://[::1]:9000");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->authority() == "[::1]:9000");
  CHECK(v6->target("") == "/");

  const Request req = chat();
  auto placeholder = dialect::encode_request({req, "azure", "d", "https://{resource}.openai.azure.com/openai", "k"},
                                             gp::Dialect::azure, {}, false);
  REQUIRE_FALSE(placeholder);
  CHECK_THAT(placeholder.error().message, Catch::Contains("placeholder"));
  auto secret = wire::parse_url("https://user:sk-secret@api.openai.com/v1");
  REQUIRE_FALSE(secret);
  CHECK_THAT(secret.error().message, !Catch::Contains("sk-secret"));
  CHECK_FALSE(wire::parse_url(""));
  CHECK_FALSE(wire::parse_url("ftp://x"));
  CHECK_FALSE(wire::parse_url("https://x:99999"));
  CHECK_FALSE(wire::parse_url("https://x y"));
  CHECK_FALSE(wire::parse_url("https://"));
}
