#include <governed/cached_response.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <string>

// A shared cache's values come from a server other processes write to: a value that is not
// what CacheCodec<Response> wrote decodes to nothing, never to a crash.

using namespace governed;

namespace {

std::string nested_arrays(std::size_t n) { return std::string(n, '['); }

std::string nested_objects(std::size_t n) {
  std::string s;
  s.reserve(n * 5);
  for (std::size_t i = 0; i < n; ++i) s += "{\"a\":";
  return s;
}

}  // namespace

TEST_CASE("a shared cache's value nested past its limits decodes to nothing", "[providers][limits][cache]") {
  Response r;
  r.content = "cached answer";
  r.provider = "openai";
  r.model = "gpt-4o-mini";
  const std::string good = CacheCodec<Response>::encode(r);
  REQUIRE(CacheCodec<Response>::decode(good));
  CHECK(CacheCodec<Response>::decode(good)->content == "cached answer");
  CHECK_FALSE(CacheCodec<Response>::decode(nested_arrays(100'000)));
  CHECK_FALSE(CacheCodec<Response>::decode(R"({"content":"x","provider":"p","model":"m","usage":)" + nested_objects(100'000)));
}

TEST_CASE("a cached answer reads back whole: every choice's text, finish, tool calls, refusal and reasoning, and the "
          "request id",
          "[cache]") {
  Response r;
  r.content = "Checking.";
  r.provider = "anthropic";
  r.model = "claude-sonnet-4-5";
  r.usage = providers::Usage{100, 40, 10, 20, 5};
  r.finish = providers::FinishReason::tool_calls;
  r.provider_finish = "tool_use";
  r.request_id = providers::RequestId("req_011CX");
  auto& d = r.detail.make();
  d.tool_calls = {{"toolu_1", "get_weather", R"({"city":"Oslo"})", true, ""},
                  {"toolu_2", "echo", "not json", false, "sig"}};
  d.reasoning = {{"Weather first.", "c2ln", ""}, {"", "", "cmVkYWN0ZWQ="}};
  r.more_choices.push_back(providers::Choice{"Another.", providers::FinishReason::length, "max_tokens", {}});
  r.more_choices.push_back(providers::Choice{"", providers::FinishReason::content_filter, "refusal", {}});
  r.more_choices.back().detail.make().refusal = "I can't help with that.";

  const auto back = CacheCodec<Response>::decode(CacheCodec<Response>::encode(r));
  REQUIRE(back);
  CHECK(back->content == r.content);
  CHECK(back->usage == r.usage);
  CHECK(back->finish == r.finish);
  CHECK(back->provider_finish == r.provider_finish);
  CHECK(back->request_id == r.request_id);
  CHECK(back->detail == r.detail);
  CHECK(back->more_choices == r.more_choices);

  // A text answer carries no detail back.
  Response text;
  text.content = "Hi";
  text.provider = "openai";
  text.model = "gpt-4o";
  text.finish = providers::FinishReason::stop;
  const auto plain = CacheCodec<Response>::decode(CacheCodec<Response>::encode(text));
  REQUIRE(plain);
  CHECK_FALSE(plain->detail);
  CHECK(plain->finish == providers::FinishReason::stop);
  CHECK(plain->more_choices.empty());
}

TEST_CASE("a cached answer whose detail is damaged keeps its text and loses only the damaged part", "[cache]") {
  const auto got = CacheCodec<Response>::decode(
      R"({"content":"x","provider":"p","model":"m","usage":{},"answer":{"finish":"no such reason","tool_calls":[1,{"id":7,"name":"f"}],"reasoning":"not a list"},"more_choices":[3]})");
  REQUIRE(got);
  CHECK(got->content == "x");
  CHECK(got->finish == providers::FinishReason::unknown);
  REQUIRE(got->tool_calls().size() == 1);
  CHECK(got->tool_calls()[0].id.empty());
  CHECK(got->tool_calls()[0].name == "f");
  CHECK(got->reasoning().empty());
  CHECK(got->more_choices.empty());
}
