#include <governed/providers/completion.hpp>

#include <governed/providers/content.hpp>
#include <governed/providers/usage.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace gp = governed::providers;
using gp::Dialect;

namespace {

// Real success bodies, one per shape the readers know.
const std::string openai_body =
    R"({"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,)"
    R"("model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I assist you today?",)"
    R"("refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,)"
    R"("completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},)"
    R"("completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,)"
    R"("rejected_prediction_tokens":0}},"service_tier":"default"})";
const std::string o1_body =
    R"({"id":"chatcmpl-1","object":"chat.completion","model":"o1-mini","choices":[{"index":0,"message":{"role":"assistant",)"
    R"("content":"42"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1200,"completion_tokens":900,)"
    R"("prompt_tokens_details":{"cached_tokens":1024},"completion_tokens_details":{"reasoning_tokens":640}}})";
const std::string anthropic_body =
    R"({"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[{"type":"text","text":"Hello"},)"
    R"({"type":"tool_use","id":"toolu_1","name":"get","input":{"text":"not this"}},{"type":"text","text":", world"}],)"
    R"("model":"claude-3-5-sonnet-20241022","stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,)"
    R"("cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"output_tokens":6}})";
const std::string gemini_body =
    R"({"candidates":[{"content":{"parts":[{"text":"Why did the"},{"text":" chicken"}],"role":"model"},"finishReason":"STOP",)"
    R"("index":0}],"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":12,"totalTokenCount":120,)"
    R"("cachedContentTokenCount":4,"thoughtsTokenCount":100},"modelVersion":"gemini-2.5-flash"})";
const std::string responses_body =
    R"({"id":"resp_1","object":"response","output":[],"usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":0},)"
    R"("output_tokens":87,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":123}})";
const std::string blocks_body =
    R"({"choices":[{"message":{"role":"assistant","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}},)"
    R"({"message":{"content":"second choice"}}],"usage":{"prompt_tokens":3,"completion_tokens":2}})";
const std::string legacy_body = R"({"choices":[{"text":"legacy","index":0}],"usage":{"prompt_tokens":3,"completion_tokens":1}})";

const std::vector<std::string> seeds = {openai_body, o1_body, anthropic_body, gemini_body, responses_body, blocks_body,
                                        legacy_body};
constexpr Dialect dialects[] = {Dialect::openai, Dialect::anthropic, Dialect::gemini};

/// What the document readers say about `body`, in the one-pass reader's terms.
struct Reading {
  bool json = false;
  std::string content;
  std::optional<gp::Usage> usage;
  friend bool operator==(const Reading&, const Reading&) = default;
};

Reading by_document(Dialect d, const std::string& body) {
  Reading r;
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return r;
  r.json = true;
  r.content = gp::content_from_json(d, j);
  if (auto u = gp::usage_from_json(j)) r.usage = *u;
  return r;
}

Reading in_one_pass(Dialect d, const std::string& body) {
  Reading r;
  auto c = gp::read_completion(d, body);
  if (!c) return r;
  r.json = true;
  r.content = c->content;
  r.usage = c->usage;
  return r;
}

}  // namespace

TEST_CASE("one pass reads each provider's text and usage", "[providers][completion]") {
  auto openai = gp::read_completion(Dialect::openai, openai_body);
  REQUIRE(openai);
  CHECK(openai->content == "Hello! How can I assist you today?");
  REQUIRE(openai->usage);
  CHECK(*openai->usage == gp::Usage{19, 0, 0, 10, 0});

  auto o1 = gp::read_completion(Dialect::openai, o1_body);
  REQUIRE(o1->usage);
  CHECK(*o1->usage == gp::Usage{1200, 1024, 0, 900, 640});

  auto anthropic = gp::read_completion(Dialect::anthropic, anthropic_body);
  CHECK(anthropic->content == "Hello, world");  // text blocks only: the tool input's "text" is not output
  REQUIRE(anthropic->usage);
  CHECK(*anthropic->usage == gp::Usage{2112, 2000, 100, 6, 0});

  auto gemini = gp::read_completion(Dialect::gemini, gemini_body);
  CHECK(gemini->content == "Why did the chicken");
  REQUIRE(gemini->usage);
  CHECK(*gemini->usage == gp::Usage{8, 4, 0, 112, 100});

  auto responses = gp::read_completion(Dialect::openai, responses_body);
  REQUIRE(responses->usage);
  CHECK(*responses->usage == gp::Usage{36, 0, 0, 87, 0});

  CHECK(gp::read_completion(Dialect::openai, blocks_body)->content == "ab");  // the first choice only
  CHECK(gp::read_completion(Dialect::openai, legacy_body)->content == "legacy");
}

TEST_CASE("one pass refuses what the document readers refuse", "[providers][completion]") {
  CHECK_FALSE(gp::read_completion(Dialect::openai, "not json"));
  CHECK_FALSE(gp::read_completion(Dialect::openai, R"({"choices":[)"));
  CHECK_FALSE(gp::read_completion(Dialect::openai, ""));
  // JSON, but no usage the governor can trust: the estimate stands.
  for (const char* body : {R"({"usage":{"prompt_tokens":-1,"completion_tokens":2}})",
                           R"({"usage":{"prompt_tokens":1.5,"completion_tokens":2}})",
                           R"({"usage":{"prompt_tokens":"12","completion_tokens":2}})",
                           R"({"usage":{"prompt_tokens":18446744073709551615,"completion_tokens":2}})",
                           R"({"usage":{"prompt_tokens":5,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":9}}})",
                           R"({"usage":[1,2]})", R"([{"usage":{"prompt_tokens":1}}])", R"({"choices":[]})"}) {
    CAPTURE(body);
    auto c = gp::read_completion(Dialect::openai, body);
    REQUIRE(c);
    CHECK_FALSE(c->usage);
  }
}

TEST_CASE("one pass agrees with the document readers on every shape and every mangled copy",
          "[providers][completion]") {
  // Hand-made corners: repeated members (the last counts), wrong types at each step, nulls.
  std::vector<std::string> bodies = seeds;
  for (const char* extra : {
           R"({"usage":{"prompt_tokens":1,"completion_tokens":1},"usage":{"input_tokens":7,"output_tokens":3}})",
           R"({"usage":{"prompt_tokens":1,"completion_tokens":1},"usage":5})",
           R"({"usageMetadata":null,"usage":{"prompt_tokens":1,"completion_tokens":2}})",
           R"({"usageMetadata":{"promptTokenCount":3},"usageMetadata":[1]})",
           R"({"usage":{"prompt_tokens":null,"completion_tokens":null}})",
           R"({"usage":{"prompt_tokens":4,"prompt_tokens":{"x":1}}})",
           R"({"usage":{"input_tokens":4,"output_tokens":1,"input_tokens_details":null}})",
           R"({"usage":{"input_tokens":4,"output_tokens":1,"cache_read_input_tokens":[]}})",
           R"({"choices":[{"message":{"content":"a"},"message":"b","text":"c"}]})",
           R"({"choices":[{"message":{"content":"a","content":null}}]})",
           R"({"choices":[{"message":{"content":["x",{"text":"y"},{"text":1},{"text":"z","text":"w"}]}}]})",
           R"({"choices":[{"message":{"content":"a"}}],"choices":[{"text":"b"}]})",
           R"({"choices":[[{"message":{"content":"a"}}]]})",
           R"({"choices":{"0":{"message":{"content":"a"}}}})",
           R"({"choices":[{"text":"a","text":7}]})",
           R"({"content":[{"text":"a"},{"text":"b","text":"c"},"d",{"text":{"text":"e"}}],"content":[{"text":"f"}]})",
           R"({"content":"plain"})",
           R"({"candidates":[{"content":{"parts":[{"text":"a"}]},"content":{"parts":[{"text":"b"}]}}]})",
           R"({"candidates":[{"content":{"parts":[{"text":"a"}],"parts":"x"}}]})",
           R"({"candidates":[{"content":[{"parts":[{"text":"a"}]}]}],"usageMetadata":{"promptTokenCount":1}})",
           R"({"candidates":[7,{"content":{"parts":[{"text":"a"}]}}]})",
           R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":[[[[[[[[[]]]]]]]]]}}}}}}}}},"choices":[{"text":"deep"}]})",
           R"("just a string")", "42", "null", "[]", "{}"})
    bodies.emplace_back(extra);
  for (const auto& body : bodies)
    for (Dialect d : dialects) {
      CAPTURE(body, static_cast<int>(d));
      CHECK(in_one_pass(d, body) == by_document(d, body));
    }

  // Mangled copies: characters dropped, repeated, swapped for JSON's structural ones.
  std::mt19937_64 rng(20261123);
  const std::string alphabet = "{}[]:,\"0123456789-.enulltruefalse xyz";
  std::size_t json_mutants = 0;
  for (int i = 0; i < 6000; ++i) {
    std::string body = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      const std::size_t at = rng() % body.size();
      switch (rng() % 3) {
        case 0: body.erase(at, 1 + rng() % 4); break;
        case 1: body.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        default: body[at] = alphabet[rng() % alphabet.size()]; break;
      }
    }
    const Dialect d = dialects[rng() % 3];
    const Reading want = by_document(d, body);
    json_mutants += want.json;
    const Reading got = in_one_pass(d, body);
    if (!(got == want)) {
      CAPTURE(body, static_cast<int>(d));
      CHECK(got == want);
    }
  }
  CHECK(json_mutants > 500);  // enough of them still parse for the comparison to mean something
}
