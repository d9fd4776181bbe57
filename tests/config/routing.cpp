// The configuration file's `routing`: task kinds' model chains read from JSON.

#include <governed/config/json.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using governed::Errc;
using governed::ModelChoice;

TEST_CASE("routing reads from JSON and names what is wrong", "[budget][routing]") {
  auto r = governed::model_routing_from_json(nlohmann::json::parse(
      R"({"scraper": ["groq/llama-3.1-8b-instant", "openai/gpt-4o-mini"], "worker": []})"));
  REQUIRE(r);
  REQUIRE(r->chain("scraper").size() == 2);
  CHECK(r->chain("scraper")[0] == ModelChoice{"groq", "llama-3.1-8b-instant"});
  CHECK(r->chain("worker").empty());

  auto bad = governed::model_routing_from_json(nlohmann::json::parse(R"({"scraper": ["gpt-4o-mini"]})"));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::parse_error);
  CHECK_THAT(bad.error().message, Catch::Contains("/scraper"));
  CHECK_FALSE(governed::model_routing_from_json(nlohmann::json::parse(R"({"scraper": "openai/gpt-4o"})")));
  CHECK_FALSE(governed::model_routing_from_json(nlohmann::json::parse(R"([1, 2])")));
  CHECK_FALSE(governed::model_routing_from_json(nlohmann::json::parse(R"({"scraper": [42]})")));
}
