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

TEST_CASE("a model the table does not have fails validation", "[budget][routing]") {
  ModelRouting r;
  r.route("scraper", {{"openai", "gpt-4o-mni"}});
  auto v = r.validate(governed::providers::builtin_table());
  REQUIRE_FALSE(v);
  CHECK_THAT(v.error().message, Catch::Contains("openai/gpt-4o-mni"));
  r.route("scraper", {});
  CHECK(r.size() == 0);
}
