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
