#include <governed/providers/request_id.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The id a provider gave a request is what its support asks for: kept whole when it fits, cut
// and marked when a server sends more than 64 bytes, and read from the header each provider
// names it in.

namespace gp = governed::providers;

namespace {

using HeaderPairs = std::vector<std::pair<std::string, std::string>>;

}  // namespace

TEST_CASE("request id: an id of up to 64 bytes is kept whole, and none is empty", "[providers][request_id]") {
  const gp::RequestId none;
  CHECK(none.empty());
  CHECK(none.view().empty());
  CHECK_FALSE(none.truncated());
  const gp::RequestId id("req_0123456789abcdef0123456789abcdef");
  CHECK(id.view() == "req_0123456789abcdef0123456789abcdef");
  CHECK_FALSE(id.truncated());
  const std::string exactly(64, 'x');
  const gp::RequestId full(exactly);
  CHECK(full.view() == exactly);
  CHECK_FALSE(full.truncated());
}

TEST_CASE("request id: an id longer than 64 bytes is cut and says so", "[providers][request_id]") {
  const std::string long_id = "req_" + std::string(100, 'a') + "tail";
  const gp::RequestId id(long_id);
  CHECK(id.truncated());
  CHECK(id.size() == gp::RequestId::capacity);
  CHECK(id.view() == std::string_view(long_id).substr(0, 64));
  // A megabyte in a header costs the same 64 bytes.
  CHECK(gp::RequestId(std::string(1 << 20, 'z')).size() == 64);
  // Two ids that agree on 64 bytes are one id only if both or neither were cut.
  CHECK_FALSE(gp::RequestId(long_id.substr(0, 64)) == id);
}

TEST_CASE("request id: copies and assignments keep the id and its mark", "[providers][request_id]") {
  const gp::RequestId cut("id-" + std::string(80, '7'));
  gp::RequestId copy = cut;
  CHECK(copy == cut);
  CHECK(copy.truncated());
  copy = gp::RequestId("short");
  CHECK(copy.view() == "short");
  CHECK_FALSE(copy.truncated());
  copy = gp::RequestId();
  CHECK(copy.empty());
  copy = cut;
  CHECK(copy == cut);
}

TEST_CASE("request id: each provider's own header names it, x-request-id when the own one is absent",
          "[providers][request_id]") {
  const HeaderPairs anthropic{{"x-request-id", "gateway-1"}, {"request-id", "req_01T5fCVnYdf9X5ZW6KayReBK"}};
  CHECK(gp::request_id_of(anthropic, gp::Dialect::anthropic).view() == "req_01T5fCVnYdf9X5ZW6KayReBK");
  CHECK(gp::request_id_of(anthropic, gp::Dialect::openai).view() == "gateway-1");
  const HeaderPairs mistral{{"x-kong-request-id", "kong-1"}, {"mistral-correlation-id", "c-1"}};
  CHECK(gp::request_id_of(mistral, gp::Dialect::mistral).view() == "c-1");
  const HeaderPairs openai{{"date", "Tue, 26 Mar 2024 19:59:59 GMT"}, {"x-request-id", "req_abc"}};
  for (const gp::Dialect d : {gp::Dialect::openai, gp::Dialect::azure, gp::Dialect::groq, gp::Dialect::openrouter,
                              gp::Dialect::deepseek, gp::Dialect::mistral, gp::Dialect::gemini}) {
    INFO("dialect " << int(d));
    CHECK(gp::request_id_of(openai, d).view() == "req_abc");
  }
  CHECK(gp::request_id_of(HeaderPairs{{"x-correlation-id", "nope"}}, gp::Dialect::openai).empty());
  CHECK(gp::request_id_of(HeaderPairs{}, gp::Dialect::gemini).empty());
  CHECK(gp::request_id_header(gp::Dialect::gemini).empty());
}
