#include <governed/providers/error_body.hpp>

#include <governed/providers/classify.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

// The error body's reader, fed bodies nested far deeper than any provider's and bodies over the
// size limit: its text, never a stack overflow, and still classified.

using namespace governed;
namespace gp = governed::providers;

namespace {

std::string nested_objects(std::size_t n) {
  std::string s;
  s.reserve(n * 5);
  for (std::size_t i = 0; i < n; ++i) s += "{\"a\":";
  return s;
}

}  // namespace

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
