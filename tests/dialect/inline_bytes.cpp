// Base64 and data URLs (dialect/detail/base64.hpp, data_url.hpp), and the tool ids carried
// between formats (dialect/detail/tool_ids.hpp).
#include <governed/dialect/detail/base64.hpp>
#include <governed/dialect/detail/data_url.hpp>
#include <governed/dialect/detail/tool_ids.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace gdd = governed::dialect::detail;

TEST_CASE("base64 writes RFC 4648's test vectors, reads them back, and reads a damaged text as none",
          "[dialect][base64]") {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    CHECK(gdd::base64(plain) == encoded);
    CHECK(gdd::from_base64(encoded) == std::string(plain));
  }
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte += static_cast<char>(b);
  CHECK(gdd::from_base64(gdd::base64(every_byte)) == every_byte);

  CHECK_FALSE(gdd::from_base64("Zm9"));        // not a multiple of 4
  CHECK_FALSE(gdd::from_base64("Zm9v!mFy"));   // a stray character
  CHECK_FALSE(gdd::from_base64("Zg==Zm9v"));   // padding before the end
  CHECK_FALSE(gdd::from_base64("Z==="));       // three padding characters
  CHECK_FALSE(gdd::from_base64("Zm 9v"));
}

TEST_CASE("a data URL carries its media type and bytes; any other URL is not one", "[dialect][base64]") {
  const std::string png("\x89PNG\r\n\x1a\n", 8);
  const auto url = gdd::data_url("image/png", png);
  CHECK(url == "data:image/png;base64,iVBORw0KGgo=");
  const auto back = gdd::read_data_url(url);
  REQUIRE(back);
  CHECK(back->media_type == "image/png");
  CHECK(back->bytes == png);
  CHECK_FALSE(gdd::read_data_url("https://example.com/a.png"));
  CHECK_FALSE(gdd::read_data_url("data:text/plain,hello"));
  CHECK_FALSE(gdd::read_data_url("data:image/png;base64,not base64"));
}

TEST_CASE("tool ids every provider takes pass unchanged; others are rewritten the same way each time, within 64",
          "[dialect][tool_ids]") {
  CHECK(gdd::portable_tool_id("call_abc123") == "call_abc123");
  CHECK(gdd::portable_tool_id("toolu_01A09q90qw90lq917835lq9") == "toolu_01A09q90qw90lq917835lq9");
  const auto dotted = gdd::portable_tool_id("functions.get_weather:0");
  CHECK(dotted == gdd::portable_tool_id("functions.get_weather:0"));
  CHECK(dotted.starts_with("functions_get_weather_0_"));
  CHECK(dotted.size() == 23 + 1 + 8);
  // Two ids that differ only in the characters replaced stay two ids.
  CHECK_FALSE(gdd::portable_tool_id("a.b") == gdd::portable_tool_id("a:b"));
  const auto long_id = gdd::portable_tool_id(std::string(200, 'x'));
  CHECK(long_id.size() == 64);
  CHECK_FALSE(long_id == gdd::portable_tool_id(std::string(201, 'x')));
  CHECK(gdd::portable_tool_id("").size() == 9);
  for (char c : gdd::portable_tool_id("ü/ß?")) CHECK(gdd::tool_id_char(c));
}

TEST_CASE("an id governed made up for a call its provider named none is told apart from every issued id",
          "[dialect][tool_ids]") {
  CHECK(gdd::placed_tool_id(0) == "call_0");
  CHECK(gdd::is_placed_tool_id(gdd::placed_tool_id(12)));
  CHECK_FALSE(gdd::is_placed_tool_id("call_abc123"));  // OpenAI's
  CHECK_FALSE(gdd::is_placed_tool_id("call_"));
  CHECK_FALSE(gdd::is_placed_tool_id("toolu_01"));
  CHECK_FALSE(gdd::is_placed_tool_id("call_1x"));
}
