#include <governed/dialect/request.hpp>

#include <governed/sim/request_errors.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

// The homes read request bodies anyone may send (`dialect::decode_request`, what governed-sim
// does with each): past its JsonLimits a body is a 400 that says which limit, in the provider's
// shape, before anything is parsed — never a crash.

using namespace governed;

namespace {

std::string arrays_deep(std::size_t n) { return std::string(n, '['); }

std::string objects_deep(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += "{\"a\":";
  return s;
}

dialect::Route route_to(std::string_view target) {
  auto r = dialect::route_of(target);
  REQUIRE(r);
  return *r;
}

}  // namespace

TEST_CASE("governed-sim: a request body nested 100 000 deep is a 400 naming the depth limit, in every format",
          "[sim][limits]") {
  const std::string openai_part = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":[{"type":"image","x":)";
  const std::string gemini_part = R"({"contents":[{"parts":[{"inlineData":)";
  struct Case {
    const char* target;
    std::string body;
    providers::Dialect dialect;
  };
  for (const auto& c : {Case{"/v1/chat/completions", arrays_deep(100'000), providers::Dialect::openai},
                        Case{"/v1/chat/completions", openai_part + arrays_deep(100'000), providers::Dialect::openai},
                        // Closed, so valid: the part was once written out again to count it.
                        Case{"/v1/chat/completions", openai_part + arrays_deep(100'000) + std::string(100'000, ']') + "}]}]}",
                             providers::Dialect::openai},
                        Case{"/v1/messages", objects_deep(100'000), providers::Dialect::anthropic},
                        Case{"/openai/deployments/gpt-4o/chat/completions", objects_deep(100'000), providers::Dialect::azure},
                        Case{"/v1beta/models/gemini-2.0-flash:generateContent", gemini_part + objects_deep(100'000),
                             providers::Dialect::gemini}}) {
    const auto body = dialect::decode_request(c.body, route_to(c.target));
    REQUIRE_FALSE(body);
    CHECK(body.error().kind == dialect::BodyProblem::Kind::invalid);
    CHECK(body.error().message == "The request body nests deeper than the limit of 64 levels.");
    const sim::ProviderReply r = sim::bad_body(c.dialect, body.error(), 1);
    CHECK(r.status == 400);
    CHECK(r.body.find("nests deeper than the limit of 64 levels") != std::string::npos);
  }
}

TEST_CASE("governed-sim: a content part nested within the limit is still read and counted", "[sim][limits]") {
  // The part is written out to count it: bounded, since the body's depth was measured first.
  std::string part = "{\"type\":\"image\",\"x\":" + arrays_deep(50) + std::string(50, ']') + "}";
  const std::string text = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":[{"type":"text","text":"Hi"},)" +
                           part + "]}]}";
  const auto body = dialect::decode_request(text, route_to("/v1/chat/completions"));
  REQUIRE(body);
  REQUIRE(body->contents.size() == 1);
  CHECK(body->contents[0].starts_with("Hi{\"type\":\"image\""));
}

TEST_CASE("governed-sim: the body limits are the reader's option", "[sim][limits]") {
  const std::string text = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]})";
  const dialect::Route route = route_to("/v1/chat/completions");
  CHECK(dialect::decode_request(text, route));
  const auto shallow = dialect::decode_request(text, route, JsonLimits{1024, 2});
  REQUIRE_FALSE(shallow);
  CHECK(shallow.error().message == "The request body nests deeper than the limit of 2 levels.");
  const auto small = dialect::decode_request(text, route, JsonLimits{16, 64});
  REQUIRE_FALSE(small);
  CHECK(small.error().message == fmt::format("The request body is {} bytes, more than the limit of 16.", text.size()));
}

TEST_CASE("key_of: Azure's v1 path takes the key in api-key or as a Bearer token; other chat-completions "
          "providers only as Bearer",
          "[dialect][request][azure]") {
  const dialect::Route v1 = route_to("/openai/v1/chat/completions");
  REQUIRE(v1.format == dialect::Format::openai);  // the v1 API routes as chat completions
  struct Headers {
    std::string_view api_key, authorization;
    std::string_view operator()(std::string_view name) const {
      if (name == "api-key") return api_key;
      if (name == "authorization") return authorization;
      return {};
    }
  };
  // What governed writes for an Azure v1 attempt (wire::add_auth: `api-key`), what OpenAI's own
  // client sends there (Bearer), and both at once (api-key first, as Azure's deployment path).
  CHECK(dialect::key_of(Headers{"az-key-0001", {}}, v1, dialect::Format::azure) == "az-key-0001");
  CHECK(dialect::key_of(Headers{{}, "Bearer az-key-0002"}, v1, dialect::Format::azure) == "az-key-0002");
  CHECK(dialect::key_of(Headers{"az-key-0001", "Bearer entra-token"}, v1, dialect::Format::azure) == "az-key-0001");
  CHECK(dialect::key_of(Headers{}, v1, dialect::Format::azure).empty());
  // Groq at the same path, and OpenAI: `api-key` is no header of theirs.
  CHECK(dialect::key_of(Headers{"az-key-0001", {}}, v1, dialect::Format::openai).empty());
  CHECK(dialect::key_of(Headers{{}, "Bearer gsk-0003"}, v1, dialect::Format::openai) == "gsk-0003");
  // A provider named for a route it does not serve reads the route's way: no `api-key` there.
  CHECK(dialect::key_of(Headers{"az-key-0001", {}}, route_to("/v1/messages"), dialect::Format::azure).empty());
}

TEST_CASE("key_of: an Azure v1 request governed encodes reads back its key the Azure way",
          "[dialect][request][azure]") {
  Request req;
  req.messages = {{"user", "Hello"}};
  const auto encoded =
      dialect::encode_request({req, "azure", "gpt-4o", "https://res.openai.azure.com/openai/v1", "az-key-0005"},
                              providers::Dialect::azure, {}, false);
  REQUIRE(encoded);
  const auto route = dialect::route_of(encoded->target);
  REQUIRE(route);
  const auto header = [&](std::string_view name) { return encoded->header(name); };
  CHECK(dialect::key_of(header, *route, dialect::Format::azure) == "az-key-0005");
}
