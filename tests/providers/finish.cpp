#include <governed/providers/finish.hpp>

#include <catch2/catch.hpp>

#include <string_view>

// A caller decides from the normalised reason (continue a cut answer, run the tools, fall back
// after a filter) whichever provider answered; the provider's own word maps onto it by the
// tables its API reference lists (providers/finish.hpp).

namespace gp = governed::providers;

namespace {

struct FinishCase {
  std::string_view word;
  gp::FinishReason reason;
};

void check_finish_table(gp::Dialect d, std::initializer_list<FinishCase> table) {
  for (const auto& c : table) {
    INFO("word '" << c.word << "'");
    CHECK(gp::finish_of(d, c.word) == c.reason);
  }
}

}  // namespace

TEST_CASE("finish: each provider's finish reason maps to its normalised one, and an unknown one to other",
          "[providers][finish]") {
  using R = gp::FinishReason;
  SECTION("OpenAI chat completions, and every API that speaks them") {
    for (const gp::Dialect d : {gp::Dialect::openai, gp::Dialect::azure, gp::Dialect::groq, gp::Dialect::mistral,
                                gp::Dialect::openrouter, gp::Dialect::deepseek}) {
      INFO("dialect " << int(d));
      check_finish_table(d, {{"stop", R::stop},
                             {"length", R::length},
                             {"tool_calls", R::tool_calls},
                             {"function_call", R::tool_calls},
                             {"content_filter", R::content_filter},
                             {"end_turn", R::other},  // Anthropic's word means nothing here
                             {"STOP", R::other},      // nor does Gemini's, or another case
                             {"insufficient_system_resource", R::other},
                             {"", R::unknown}});
    }
  }
  SECTION("Anthropic messages") {
    check_finish_table(gp::Dialect::anthropic, {{"end_turn", R::stop},
                                                {"stop_sequence", R::stop},
                                                {"max_tokens", R::length},
                                                {"model_context_window_exceeded", R::length},
                                                {"tool_use", R::tool_calls},
                                                {"refusal", R::content_filter},
                                                {"pause_turn", R::other},
                                                {"stop", R::other},
                                                {"compaction", R::other},
                                                {"", R::unknown}});
  }
  SECTION("Gemini") {
    check_finish_table(gp::Dialect::gemini, {{"STOP", R::stop},
                                             {"MAX_TOKENS", R::length},
                                             {"SAFETY", R::content_filter},
                                             {"RECITATION", R::content_filter},
                                             {"BLOCKLIST", R::content_filter},
                                             {"PROHIBITED_CONTENT", R::content_filter},
                                             {"SPII", R::content_filter},
                                             {"IMAGE_SAFETY", R::content_filter},
                                             {"MALFORMED_FUNCTION_CALL", R::other},
                                             {"LANGUAGE", R::other},
                                             {"OTHER", R::other},
                                             {"stop", R::other},
                                             {"FINISH_REASON_UNSPECIFIED", R::unknown},
                                             {"", R::unknown}});
  }
}

TEST_CASE("finish: each normalised reason has a name of its own", "[providers][finish]") {
  using R = gp::FinishReason;
  CHECK(gp::to_string(R::unknown) == "unknown");
  CHECK(gp::to_string(R::stop) == "stop");
  CHECK(gp::to_string(R::length) == "length");
  CHECK(gp::to_string(R::tool_calls) == "tool_calls");
  CHECK(gp::to_string(R::content_filter) == "content_filter");
  CHECK(gp::to_string(R::other) == "other");
  static_assert(gp::finish_of(gp::Dialect::anthropic, "tool_use") == R::tool_calls, "usable at compile time");
}
