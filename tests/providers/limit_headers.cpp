// providers::write_limit_headers against providers::read_limit_headers: what a family's headers
// state reads back as the same limits, remainders and resets.
#include <governed/providers/headers.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

using namespace governed;
using namespace std::chrono_literals;
namespace gp = governed::providers;

namespace {

const WallTime limit_headers_noon{std::chrono::seconds{1767268800}};

/// `h` written in `family`'s names at noon, and read back at noon.
gp::HeaderSnapshot written_and_read(const gp::HeaderSnapshot& h, gp::HeaderFamily family,
                                    std::vector<std::pair<std::string, std::string>>& lines,
                                    const gp::HeaderWindows& windows = {}) {
  gp::write_limit_headers(h, family, limit_headers_noon, lines);
  std::vector<gp::Header> view;
  for (const auto& [name, value] : lines) view.push_back({name, value});
  return gp::read_limit_headers(view, limit_headers_noon, windows);
}

/// The fields a family writes: the limit, what is left and when the window is full again.
void check_same_reading(const gp::LimitReading& read, const gp::LimitReading& said) {
  CHECK(read.limit == said.limit);
  CHECK(read.remaining == said.remaining);
  CHECK(read.reset_after == said.reset_after);
}

}  // namespace

TEST_CASE("limit headers OpenAI's family writes read back as the same limits, to the millisecond", "[providers][headers]") {
  gp::HeaderSnapshot h;
  h.requests = {1000, 998, Duration{6s + 125ms}, std::nullopt};
  h.tokens = {30000, 29000, Duration{5h + 12min + 7s + 250ms}, std::nullopt};
  std::vector<std::pair<std::string, std::string>> lines;
  const gp::HeaderSnapshot read = written_and_read(h, gp::HeaderFamily::openai, lines, {std::chrono::hours{24}, 1min});
  CAPTURE(lines);
  check_same_reading(read.requests, h.requests);
  check_same_reading(read.tokens, h.tokens);
  CHECK(read.requests.window == Duration{std::chrono::hours{24}});  // the table's windows, as Groq's
  CHECK(lines.size() == 6);
}

TEST_CASE("limit headers Anthropic's family writes read back as the same limits, resets to the second", "[providers][headers]") {
  gp::HeaderSnapshot h;
  h.requests = {50, 49, 2s, std::nullopt};
  h.input_tokens = {50000, 41000, 9s, std::nullopt};
  h.output_tokens = {10000, 9000, 1s, std::nullopt};
  h.tokens = {10000, 9000, 1s, std::nullopt};
  std::vector<std::pair<std::string, std::string>> lines;
  const gp::HeaderSnapshot read = written_and_read(h, gp::HeaderFamily::anthropic, lines);
  CAPTURE(lines);
  check_same_reading(read.requests, h.requests);
  check_same_reading(read.input_tokens, h.input_tokens);
  check_same_reading(read.output_tokens, h.output_tokens);
  check_same_reading(read.tokens, h.tokens);
  CHECK(lines.size() == 12);
}

TEST_CASE("limit headers Mistral's family writes read back with their windows, and without a reset", "[providers][headers]") {
  gp::HeaderSnapshot h;
  h.requests = {60, 59, 4s, std::nullopt};
  h.tokens = {500000, 499000, 4s, Duration{std::chrono::hours{24 * 30}}};
  std::vector<std::pair<std::string, std::string>> lines;
  const gp::HeaderSnapshot read = written_and_read(h, gp::HeaderFamily::mistral, lines);
  CAPTURE(lines);
  CHECK(read.requests.limit == 60);
  CHECK(read.requests.remaining == 59);
  CHECK(read.requests.window == Duration{1min});
  CHECK(read.tokens.remaining == 499000);
  CHECK(read.tokens.window == Duration{std::chrono::hours{24 * 30}});
  CHECK_FALSE(read.requests.reset_after);  // Mistral states no reset
}

TEST_CASE("limit headers OpenRouter's family writes read back as requests, the reset in epoch milliseconds",
          "[providers][headers]") {
  gp::HeaderSnapshot h;
  h.requests = {20, 3, Duration{41s + 500ms}, std::nullopt};
  h.tokens = {1000, 10, 1s, std::nullopt};  // OpenRouter reports requests only
  std::vector<std::pair<std::string, std::string>> lines;
  const gp::HeaderSnapshot read = written_and_read(h, gp::HeaderFamily::openrouter, lines);
  CAPTURE(lines);
  check_same_reading(read.requests, h.requests);
  CHECK(read.tokens.empty());
}

TEST_CASE("limit headers: Gemini's family, none, writes nothing", "[providers][headers]") {
  gp::HeaderSnapshot h;
  h.requests = {20, 3, 1s, std::nullopt};
  std::vector<std::pair<std::string, std::string>> lines;
  gp::write_limit_headers(h, gp::HeaderFamily::none, limit_headers_noon, lines);
  CHECK(lines.empty());
}
