// A request built for an attempt with no key (a keyless provider: a local server) carries no
// auth header in any wire format; an attempt with a key carries it in its format's header.
#include <governed/dialect/request.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace governed;

namespace {

Request keyless_chat() {
  Request r;
  r.messages = {{"user", "Say hello in one word."}};
  r.max_tokens = 16;
  return r;
}

/// Every header that could carry a credential, in any format.
constexpr const char* auth_headers[] = {"authorization", "x-api-key", "api-key", "x-goog-api-key"};

}  // namespace

TEST_CASE("wire: an attempt with no key sends no auth header, in every format", "[dialect][keyless]") {
  const Request req = keyless_chat();
  struct Case {
    providers::Dialect dialect;
    const char* provider;
    const char* base;
    const char* auth;
    const char* sent;  // the auth header's value for key "local-test-key"
  };
  const Case cases[] = {
      {providers::Dialect::openai, "openai_compatible", "http://127.0.0.1:8000/v1", "authorization", "Bearer local-test-key"},
      {providers::Dialect::azure, "azure", "https://res.openai.azure.com/openai", "api-key", "local-test-key"},
      {providers::Dialect::anthropic, "anthropic", "http://127.0.0.1:8001/v1", "x-api-key", "local-test-key"},
      {providers::Dialect::gemini, "gemini", "http://127.0.0.1:8002/v1beta", "x-goog-api-key", "local-test-key"},
  };
  for (const auto& c : cases) {
    for (const bool stream : {false, true}) {
      INFO(c.provider << (stream ? " stream" : ""));
      const auto keyless = dialect::encode_request({req, c.provider, "local-model", c.base, ""}, c.dialect, {}, stream);
      REQUIRE(keyless);
      for (const char* h : auth_headers) CHECK(keyless->header(h).empty());
      for (const auto& [name, value] : keyless->headers) CHECK_FALSE(value.starts_with("Bearer"));
      CHECK(keyless->header("content-type") == "application/json");

      // The same attempt with a key: the header is there, first, with the key.
      const auto keyed =
          dialect::encode_request({req, c.provider, "local-model", c.base, "local-test-key"}, c.dialect, {}, stream);
      REQUIRE(keyed);
      CHECK(keyed->header(c.auth) == c.sent);
      CHECK(keyed->headers.front().first == c.auth);
      CHECK(keyed->headers.size() == keyless->headers.size() + 1);
      CHECK(keyed->body == keyless->body);
    }
  }
}
