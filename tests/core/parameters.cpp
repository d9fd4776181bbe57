#include <governed/parameters.hpp>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>

using governed::Parameters;
using nlohmann::json;

TEST_CASE("parameters: none by default, and an empty object, array or null is none", "[parameters]") {
  CHECK(Parameters{}.empty());
  CHECK(Parameters{json::object()}.empty());
  CHECK(Parameters{json::array()}.empty());
  CHECK(Parameters{json{}}.empty());
  CHECK(Parameters{json::object()} == Parameters{});
  CHECK_FALSE(Parameters{json{{"top_p", 0.9}}}.empty());
}

TEST_CASE("parameters: equal when a provider would read the same, whatever the key order or 1 against 1.0",
          "[parameters]") {
  const Parameters a = json::parse(R"({"top_p": 0.9, "seed": 1, "stop": ["\n"], "response_format": {"type": "json_object", "strict": true}})");
  const Parameters b = json::parse(R"({"response_format": {"strict": true, "type": "json_object"}, "stop": ["\n"], "seed": 1.0, "top_p": 0.9})");
  CHECK(a == b);
  CHECK(a.text() == R"({"response_format":{"strict":true,"type":"json_object"},"seed":1,"stop":["\n"],"top_p":0.9})");
  CHECK(Parameters{json{{"x", -0.0}}} == Parameters{json{{"x", 0}}});
  // An integer a double can not hold exactly stays as written.
  CHECK(Parameters{json{{"x", 1e300}}}.text() == R"({"x":1e+300})");
  // What differs in meaning differs.
  CHECK_FALSE(Parameters{json{{"seed", 1}}} == Parameters{json{{"seed", "1"}}});
  CHECK_FALSE(Parameters{json{{"stop", {"a", "b"}}}} == Parameters{json{{"stop", {"b", "a"}}}});
  CHECK_FALSE(Parameters{json{{"top_p", 0.9}}} == Parameters{json{{"top_p", 0.8}}});
}

TEST_CASE("parameters: numbers nested deep in arrays and objects are made canonical too", "[parameters]") {
  json deep = 2.0;
  for (int i = 0; i < 1000; ++i) deep = i % 2 ? json::array({std::move(deep)}) : json{{"k", std::move(deep)}};
  const Parameters p = json{{"deep", std::move(deep)}};
  CHECK(p.text().size() == std::string(R"({"deep":2})").size() + 500 * 2 + 500 * 6);
  CHECK(p.text().find(R"({"k":2})") != std::string::npos);
  CHECK(p.text().find("2.0") == std::string::npos);
}

TEST_CASE("parameters: a string that is not UTF-8 is written as U+FFFD and says so", "[parameters]") {
  const Parameters bad = json{{"stop", "\xff\xfe"}};
  CHECK_FALSE(bad.valid_utf8());
  CHECK(bad.text() == "{\"stop\":\"\xef\xbf\xbd\xef\xbf\xbd\"}");
  CHECK(Parameters{json{{"stop", "caf\xc3\xa9"}}}.valid_utf8());
  CHECK_FALSE(bad == Parameters{json{{"stop", "\xef\xbf\xbd\xef\xbf\xbd"}}});
}
