#include <governed/json_text.hpp>
#include <governed/json_text_parse.hpp>
#include <governed/parameters.hpp>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>

using governed::JsonText;
using nlohmann::json;

TEST_CASE("JsonText is canonical: key order and 1.0 make no difference", "[json_text]") {
  const JsonText a = json::parse(R"({"type": "object", "properties": {"n": {"type": "integer", "minimum": 1.0}}})");
  const JsonText b = json::parse(R"({"properties": {"n": {"minimum": 1, "type": "integer"}}, "type": "object"})");
  CHECK(a == b);
  CHECK(a.text() == R"({"properties":{"n":{"minimum":1,"type":"integer"}},"type":"object"})");
  CHECK(a.is_object());
  CHECK_FALSE(JsonText{json::array({1, 2})}.is_object());
  CHECK_FALSE(a == JsonText{json::parse(R"({"type": "object", "properties": {"n": {"type": "number"}}})")});
}

TEST_CASE("JsonText: null is no value, while {} and [] are values", "[json_text]") {
  CHECK(JsonText{}.empty());
  CHECK(JsonText{json{}}.empty());
  CHECK(JsonText{json::object()}.text() == "{}");
  CHECK(JsonText{json::array()}.text() == "[]");
  // Parameters keep their own rule: an empty object or array is none.
  CHECK(governed::Parameters{json::object()}.empty());
  CHECK(governed::Parameters{json::array()}.empty());
}

TEST_CASE("parse_json_text refuses what is past the limits or not JSON, naming it without its text",
          "[json_text]") {
  auto ok = governed::parse_json_text(R"({"b": 2.0, "a": "x"})");
  REQUIRE(ok);
  CHECK(ok->text() == R"({"a":"x","b":2})");

  auto bad = governed::parse_json_text(R"({"secret-sk-123": )", {}, "the tool's schema");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("the tool's schema") != std::string::npos);
  CHECK(bad.error().message.find("secret") == std::string::npos);

  std::string deep(100, '[');
  deep += std::string(100, ']');
  auto too_deep = governed::parse_json_text(deep, {.max_bytes = 1 << 20, .max_depth = 64});
  REQUIRE_FALSE(too_deep);
  CHECK(too_deep.error().message.find("64 levels") != std::string::npos);

  auto too_long = governed::parse_json_text(R"(["0123456789"])", {.max_bytes = 8, .max_depth = 64});
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error().message.find("more than the limit of 8") != std::string::npos);

  auto null = governed::parse_json_text("null");
  REQUIRE(null);
  CHECK(null->empty());
}

TEST_CASE("parse_json_text marks a string that is not UTF-8, as JsonText built in code does", "[json_text]") {
  auto got = governed::parse_json_text("[\"\xff\"]");
  // nlohmann's parser refuses invalid UTF-8 in a string: the text is not JSON.
  CHECK_FALSE(got);
  const JsonText built = json::array({"\xff"});
  CHECK_FALSE(built.valid_utf8());
  CHECK(built.text() == "[\"\xef\xbf\xbd\"]");
}
