// walk::CandidateCursor driven directly over the built-in provider table: the rest of the
// plan is made only once the first candidates are spent, a candidate passed over is no move,
// each candidate entered after one left says whether the call changed model or provider, and
// at the spend limit the cheapest candidate that still fits comes next.
#include <governed/fallback/models_then_providers.hpp>
#include <governed/walk/candidates.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace governed;

namespace {

using Cursor = walk::CandidateCursor<fallback::models_then_providers>;

const providers::Table& cursor_table() { return providers::builtin_table(); }
const fallback::models_then_providers cursor_policy{};
const providers::TokenEstimate cursor_estimate{100, 100};

/// A cursor planned from `provider`/`model` (true when anything fits).
bool cursor_plan(Cursor& c, const std::string& provider, const std::string& model,
                 providers::TokenEstimate estimate = cursor_estimate) {
  Request r;
  r.provider = provider;
  r.model = model;
  r.messages = {{"user", "Say hello in one word."}};
  r.max_tokens = 64;
  auto origin = walk::find_origin(cursor_table(), {}, r);
  REQUIRE(origin);
  return c.plan(cursor_policy, cursor_table(), {}, *origin, walk::plan_input(*origin, estimate));
}

std::string cursor_name(const Cursor& c) { return c.current().provider->name + "/" + c.current().model->name; }

}  // namespace

TEST_CASE("walk::CandidateCursor: the origin first; the rest of the plan only once it is left", "[walk][candidates]") {
  Cursor c;
  REQUIRE(cursor_plan(c, "openai", "gpt-4o-mini"));
  REQUIRE(c.more(cursor_policy, cursor_table()));
  CHECK(cursor_name(c) == "openai/gpt-4o-mini");
  CHECK(c.reached() == walk::Reached::first);
  c.enter();
  CHECK(c.last_provider() == "openai");
  c.leave();
  CHECK_FALSE(c.on_candidate());  // the rest is not planned yet
  REQUIRE(c.more(cursor_policy, cursor_table()));
  CHECK(cursor_name(c) == "openai/gpt-4-turbo");
  CHECK(c.reached() == walk::Reached::other_model);
}

TEST_CASE("walk::CandidateCursor: each candidate after a move says whether the provider changed",
          "[walk][candidates]") {
  Cursor c;
  REQUIRE(cursor_plan(c, "openai", "gpt-4o-mini"));
  bool other_provider = false;
  for (int i = 0; i < 64 && c.more(cursor_policy, cursor_table()); ++i) {
    const bool same = c.last_provider().empty() || c.current().provider->name == c.last_provider();
    CHECK(c.reached() == (i == 0 ? walk::Reached::first : same ? walk::Reached::other_model
                                                               : walk::Reached::other_provider));
    if (!same) {
      other_provider = true;
      break;
    }
    c.enter();
    c.leave();
  }
  CHECK(other_provider);
}

TEST_CASE("walk::CandidateCursor: a candidate passed over without a word is no move", "[walk][candidates]") {
  Cursor c;
  REQUIRE(cursor_plan(c, "openai", "gpt-4o-mini"));
  REQUIRE(c.more(cursor_policy, cursor_table()));
  c.skip();
  REQUIRE(c.more(cursor_policy, cursor_table()));
  CHECK(cursor_name(c) == "openai/gpt-4-turbo");
  CHECK(c.reached() == walk::Reached::first);
  CHECK(c.last_provider().empty());
}

TEST_CASE("walk::CandidateCursor: a call no model can hold has no plan, and says how big it is",
          "[walk][candidates]") {
  Cursor c;
  CHECK_FALSE(cursor_plan(c, "openai", "gpt-4o-mini", {100'000'000, 100}));
  CHECK(c.input().prompt_tokens == 100'000'000);
  CHECK_FALSE(c.more(cursor_policy, cursor_table()));
}

TEST_CASE("walk::CandidateCursor: at the spend limit the cheapest candidate that fits comes next, or none",
          "[walk][candidates]") {
  Cursor c;
  REQUIRE(cursor_plan(c, "openai", "gpt-4o"));
  REQUIRE(c.more(cursor_policy, cursor_table()));
  CHECK_FALSE(c.bring_forward_cheapest(cursor_policy, cursor_table(), cursor_estimate, 0.0));

  const auto* cheapest = c.bring_forward_cheapest(cursor_policy, cursor_table(), cursor_estimate, 1.0);
  REQUIRE(cheapest);
  const double its_cost = providers::estimated_cost(cheapest->model->price, cursor_estimate).total_cost;
  CHECK(its_cost <= 1.0);
  c.enter();
  c.leave();
  REQUIRE(c.more(cursor_policy, cursor_table()));
  CHECK(&c.current() == cheapest);  // it is the next one
  // No candidate after it is cheaper.
  c.enter();
  c.leave();
  while (c.more(cursor_policy, cursor_table())) {
    CHECK(providers::estimated_cost(c.current().model->price, cursor_estimate).total_cost >= its_cost);
    c.skip();
  }
}
