#include <governed/providers/completion.hpp>

#include <governed/providers/classify.hpp>
#include <governed/providers/content.hpp>
#include <governed/providers/error_body.hpp>
#include <governed/providers/usage.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

// Every reader of a provider's reply, fed bodies nested far deeper than any provider's and
// bodies over the size limit: a clear error (or, for an error body, its text), never a stack
// overflow, and the same answer from the one-pass reader as from the document readers.

using namespace governed;
namespace gp = governed::providers;

namespace {

std::string nested_arrays(std::size_t n) { return std::string(n, '['); }

std::string nested_objects(std::size_t n) {
  std::string s;
  s.reserve(n * 5);
  for (std::size_t i = 0; i < n; ++i) s += "{\"a\":";
  return s;
}

/// A success body whose first choice's text is "hi" and whose `extra` member is `levels`
/// objects deep (the body itself is one level more).
std::string success_with_depth(std::size_t levels) {
  return R"({"choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":3,"completion_tokens":1},"extra":)" +
         nested_objects(levels) + "1" + std::string(levels, '}') + "}";
}

}  // namespace

TEST_CASE("reply readers refuse a body nested 100 000 deep with an error that names the limit",
          "[providers][limits]") {
  // Closed ones are valid JSON: the document readers once parsed them and then copied the
  // deep member ("content" of Anthropic and Gemini), recursing 100 000 deep.
  const std::string closed_content = R"({"content":)" + nested_arrays(100'000) + std::string(100'000, ']') + "}";
  const std::string closed_candidates =
      R"({"candidates":[{"content":)" + nested_objects(100'000) + "1" + std::string(100'000, '}') + "}]}";
  for (const std::string& body : {nested_arrays(100'000), nested_objects(100'000),
                                  R"({"choices":[{"message":{"content":"hi","x":)" + nested_arrays(100'000),
                                  closed_content, closed_candidates}) {
    for (gp::Dialect d : {gp::Dialect::openai, gp::Dialect::anthropic, gp::Dialect::gemini}) {
      const auto content = gp::extract_content(d, body);
      REQUIRE_FALSE(content);
      CHECK(content.error().code == Errc::parse_error);
      CHECK(content.error().message == "the reply body nests deeper than the limit of 64 levels");
      const auto one_pass = gp::read_completion(d, body);
      REQUIRE_FALSE(one_pass);
      CHECK(one_pass.error().message == "the reply body nests deeper than the limit of 64 levels");
    }
    const auto usage = gp::extract_usage(body);
    REQUIRE_FALSE(usage);
    CHECK(usage.error().message == "the reply body nests deeper than the limit of 64 levels");
  }
}

TEST_CASE("the one-pass reader and the document readers draw the depth limit at the same level",
          "[providers][limits]") {
  const std::string at_limit = success_with_depth(63);  // 64 levels
  const std::string past_limit = success_with_depth(64);
  CHECK(gp::extract_content(gp::Dialect::openai, at_limit).value() == "hi");
  CHECK(gp::extract_usage(at_limit).value().total() == 4);
  const auto read = gp::read_completion(gp::Dialect::openai, at_limit);
  REQUIRE(read);
  CHECK(read->content == "hi");
  CHECK(read->usage->total() == 4);

  CHECK_FALSE(gp::extract_content(gp::Dialect::openai, past_limit));
  CHECK_FALSE(gp::extract_usage(past_limit));
  CHECK_FALSE(gp::read_completion(gp::Dialect::openai, past_limit));

  // The limits are the caller's to set.
  const JsonLimits shallow{JsonLimits{}.max_bytes, 4};
  CHECK_FALSE(gp::read_completion(gp::Dialect::openai, success_with_depth(4), shallow));
  CHECK_FALSE(gp::extract_content(gp::Dialect::openai, success_with_depth(4), shallow));
  CHECK(gp::read_completion(gp::Dialect::openai, success_with_depth(2), shallow).value().content == "hi");
}

TEST_CASE("reply readers refuse a body over the size limit before reading it", "[providers][limits]") {
  const std::string body = success_with_depth(1);
  const JsonLimits small{body.size() - 1, 64};
  const auto one_pass = gp::read_completion(gp::Dialect::openai, body, small);
  REQUIRE_FALSE(one_pass);
  CHECK(one_pass.error().message.find("more than the limit of") != std::string::npos);
  CHECK_FALSE(gp::extract_content(gp::Dialect::openai, body, small));
  CHECK_FALSE(gp::extract_usage(body, small));
  CHECK(gp::read_completion(gp::Dialect::openai, body, JsonLimits{body.size(), 64}));
}

TEST_CASE("an error body nested deeper or larger than its limits is read as text and still classified",
          "[providers][limits]") {
  CHECK(gp::error_body_limits.max_depth == 32);
  CHECK(gp::error_body_limits.max_bytes == 256 * 1024);
  // 10 000 levels is past the depth within the size; 100 000 levels is past both.
  for (std::size_t levels : {std::size_t{10'000}, std::size_t{100'000}}) {
    const std::string body = R"({"error":{"message":"Rate limit reached","details":)" + nested_objects(levels);
    const gp::ErrorBody e = gp::read_error_body(body);
    CHECK_FALSE(e.json);
    CHECK(e.message.size() == 2000);  // the text, cut short
    const WallTime now{std::chrono::seconds{1'711'483'199}};
    const auto v = gp::classify("openai", 429, gp::HeaderView{}, body, now);
    CHECK(gp::is_rate_limit(v.kind));
  }
  // The limits are the caller's to set: a real error body past a depth of 2 is text.
  const std::string openai = R"({"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}})";
  CHECK(gp::read_error_body(openai).code == "rate_limit_exceeded");
  CHECK_FALSE(gp::read_error_body(openai, JsonLimits{1024, 1}).json);
}
