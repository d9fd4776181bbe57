// providers::for_each_limit_reading: a reply's limit readings as the limit-set dimensions they
// sync, a window of an hour or more counting in the day's.
#include <governed/providers/headers.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <tuple>
#include <vector>

using namespace governed;
using namespace std::chrono_literals;

namespace {

using Synced = std::tuple<governed::Dimension, std::uint64_t, Duration>;

std::vector<Synced> synced(const providers::HeaderSnapshot& h) {
  std::vector<Synced> out;
  providers::for_each_limit_reading(
      h, [&](governed::Dimension d, std::uint64_t remaining, Duration reset) { out.emplace_back(d, remaining, reset); });
  return out;
}

}  // namespace

TEST_CASE("for_each_limit_reading: minute and day windows, input and output per minute", "[providers][headers]") {
  providers::HeaderSnapshot h;
  h.requests = {1000, 998, 6s, std::chrono::hours{24}};  // Groq's request headers count a day
  h.tokens = {30000, 29000, 2s, std::nullopt};
  h.input_tokens = {20000, 19000, 3s, std::chrono::hours{2}};
  h.output_tokens = {8000, 7000, 4s, std::nullopt};
  const std::vector<Synced> expected{
      {governed::Dimension::requests_per_day, 998, 6s},
      {governed::Dimension::tokens_per_minute, 29000, 2s},
      {governed::Dimension::input_tokens_per_minute, 19000, 3s},
      {governed::Dimension::output_tokens_per_minute, 7000, 4s},
  };
  CHECK(synced(h) == expected);
}

TEST_CASE("for_each_limit_reading: a reading without what is left, its reset, or with a negative count is skipped",
          "[providers][headers]") {
  providers::HeaderSnapshot h;
  h.requests = {100, std::nullopt, 6s, std::nullopt};
  h.tokens = {100, 50, std::nullopt, std::nullopt};
  h.input_tokens = {100, -1, 1s, std::nullopt};
  CHECK(synced(h).empty());
  h.output_tokens = {100, 0, 1s, std::nullopt};
  CHECK(synced(h) == std::vector<Synced>{{governed::Dimension::output_tokens_per_minute, 0, 1s}});
}
