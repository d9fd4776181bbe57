#include <governed/budget/routing.hpp>

#include <catch2/catch.hpp>

using governed::Errc;
using governed::ModelChoice;
using governed::ModelRouting;

TEST_CASE("the original application's routing sends the bulk tasks to gpt-4o-mini", "[budget][routing]") {
  const auto r = ModelRouting::original_application();
  for (auto kind : {"scraper", "worker", "job_hunter"}) {
    REQUIRE(r.chain(kind).size() == 1);
    CHECK(r.chain(kind)[0] == ModelChoice{"openai", "gpt-4o-mini"});
  }
  REQUIRE(r.chain("cover_letter_writer").size() == 1);
  CHECK(r.chain("cover_letter_writer")[0] == ModelChoice{"openai", "gpt-5-chat-latest"});
  CHECK(r.chain("anything_else").empty());
  CHECK(r.validate(governed::providers::builtin_table()));
}

TEST_CASE("routing reads from JSON and names what is wrong", "[budget][routing]") {
  auto r = ModelRouting::from_json(nlohmann::json::parse(
      R"({"scraper": ["groq/llama-3.1-8b-instant", "openai/gpt-4o-mini"], "worker": []})"));
  REQUIRE(r);
  REQUIRE(r->chain("scraper").size() == 2);
  CHECK(r->chain("scraper")[0] == ModelChoice{"groq", "llama-3.1-8b-instant"});
  CHECK(r->chain("worker").empty());

  auto bad = ModelRouting::from_json(nlohmann::json::parse(R"({"scraper": ["gpt-4o-mini"]})"));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::parse_error);
  CHECK_THAT(bad.error().message, Catch::Contains("/scraper"));
  CHECK_FALSE(ModelRouting::from_json(nlohmann::json::parse(R"({"scraper": "openai/gpt-4o"})")));
  CHECK_FALSE(ModelRouting::from_json(nlohmann::json::parse(R"([1, 2])")));
  CHECK_FALSE(ModelRouting::from_json(nlohmann::json::parse(R"({"scraper": [42]})")));
}

TEST_CASE("a model the table does not have fails validation", "[budget][routing]") {
  ModelRouting r;
  r.route("scraper", {{"openai", "gpt-4o-mni"}});
  auto v = r.validate(governed::providers::builtin_table());
  REQUIRE_FALSE(v);
  CHECK_THAT(v.error().message, Catch::Contains("openai/gpt-4o-mni"));
  r.route("scraper", {});
  CHECK(r.size() == 0);
}
