#include <governed/reasoning.hpp>

#include <catch2/catch.hpp>

using Effort = governed::Reasoning::Effort;

TEST_CASE("reasoning: an effort's budget reads back as that effort, and a budget between two as the higher",
          "[reasoning]") {
  for (Effort e : {Effort::none, Effort::minimal, Effort::low, Effort::medium, Effort::high, Effort::xhigh})
    CHECK(governed::effort_of(governed::budget_of(e)) == e);
  // Google's published figures for Gemini.
  CHECK(governed::budget_of(Effort::low) == 1024);
  CHECK(governed::budget_of(Effort::medium) == 8192);
  CHECK(governed::budget_of(Effort::high) == 24576);
  CHECK(governed::budget_of(Effort::none) == 0);
  CHECK(governed::effort_of(1) == Effort::minimal);
  CHECK(governed::effort_of(2000) == Effort::medium);
  CHECK(governed::effort_of(16000) == Effort::high);
  CHECK(governed::effort_of(1'000'000) == Effort::xhigh);
}

TEST_CASE("reasoning: efforts are named as OpenAI names them, and an unknown name is none", "[reasoning]") {
  for (Effort e : {Effort::none, Effort::minimal, Effort::low, Effort::medium, Effort::high, Effort::xhigh})
    CHECK(governed::effort_from(governed::to_string(e)) == e);
  CHECK(governed::to_string(Effort::xhigh) == "xhigh");
  CHECK_FALSE(governed::effort_from("maximum"));
  CHECK_FALSE(governed::effort_from("HIGH"));
  CHECK_FALSE(governed::effort_from(""));
}
