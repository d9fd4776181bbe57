#include <governed/dialect/reply.hpp>

#include <governed/dialect/answer_json.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/usage.hpp>

#include "tool_replies.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using namespace governed;
namespace gp = governed::providers;
namespace gd = governed::dialect;
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
                                        legacy_body, tool_replies::openai_three_calls,
                                        tool_replies::openai_refusal_and_bad_arguments, tool_replies::deepseek_reasoning,
                                        tool_replies::anthropic_tool_use, tool_replies::gemini_function_calls};

/// The bodies of the shared reply vectors (tests/data/provider_replies.jsonl, or the folder
/// in GOVERNED_VECTORS): real replies, mostly errors, each read as a success must be too.
std::vector<std::string> vector_bodies() {
  std::filesystem::path dir = std::filesystem::path(__FILE__).parent_path().parent_path() / "data";
  if (const char* env = std::getenv("GOVERNED_VECTORS"); env && *env) dir = env;
  std::ifstream in(dir / "provider_replies.jsonl");
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line).at("body").get<std::string>());
  return out;
}
constexpr Dialect dialects[] = {Dialect::openai, Dialect::anthropic, Dialect::gemini};

/// What the document readers say about `body`, in the one-pass reader's terms: the whole
/// completion — every choice, tool call, refusal, reasoning block and finish, usage and id.
struct Reading {
  bool json = false;
  gp::Completion completion;
  friend bool operator==(const Reading&, const Reading&) = default;
};

Reading by_document(Dialect d, const std::string& body) {
  Reading r;
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return r;
  r.json = true;
  r.completion = gd::completion_from_json(d, j);
  return r;
}

Reading in_one_pass(Dialect d, const std::string& body) {
  Reading r;
  auto c = gd::decode_completion(d, body);
  if (!c) return r;
  r.json = true;
  r.completion = std::move(*c);
  return r;
}

}  // namespace

TEST_CASE("one pass reads each provider's text and usage", "[providers][completion]") {
  auto openai = gd::decode_completion(Dialect::openai, openai_body);
  REQUIRE(openai);
  CHECK(openai->content == "Hello! How can I assist you today?");
  REQUIRE(openai->usage);
  CHECK(*openai->usage == gp::Usage{19, 0, 0, 10, 0});

  auto o1 = gd::decode_completion(Dialect::openai, o1_body);
  REQUIRE(o1->usage);
  CHECK(*o1->usage == gp::Usage{1200, 1024, 0, 900, 640});

  auto anthropic = gd::decode_completion(Dialect::anthropic, anthropic_body);
  CHECK(anthropic->content == "Hello, world");  // text blocks only: the tool input's "text" is not output
  REQUIRE(anthropic->usage);
  CHECK(*anthropic->usage == gp::Usage{2112, 2000, 100, 6, 0});

  auto gemini = gd::decode_completion(Dialect::gemini, gemini_body);
  CHECK(gemini->content == "Why did the chicken");
  REQUIRE(gemini->usage);
  CHECK(*gemini->usage == gp::Usage{8, 4, 0, 112, 100});

  auto responses = gd::decode_completion(Dialect::openai, responses_body);
  REQUIRE(responses->usage);
  CHECK(*responses->usage == gp::Usage{36, 0, 0, 87, 0});

  CHECK(gd::decode_completion(Dialect::openai, blocks_body)->content == "ab");  // the first choice only
  CHECK(gd::decode_completion(Dialect::openai, legacy_body)->content == "legacy");
}

TEST_CASE("one pass refuses what the document readers refuse", "[providers][completion]") {
  CHECK_FALSE(gd::decode_completion(Dialect::openai, "not json"));
  CHECK_FALSE(gd::decode_completion(Dialect::openai, R"({"choices":[)"));
  CHECK_FALSE(gd::decode_completion(Dialect::openai, ""));
  // JSON, but no usage the governor can trust: the estimate stands.
  for (const char* body : {R"({"usage":{"prompt_tokens":-1,"completion_tokens":2}})",
                           R"({"usage":{"prompt_tokens":1.5,"completion_tokens":2}})",
                           R"({"usage":{"prompt_tokens":"12","completion_tokens":2}})",
                           R"({"usage":{"prompt_tokens":18446744073709551615,"completion_tokens":2}})",
                           R"({"usage":{"prompt_tokens":5,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":9}}})",
                           R"({"usage":[1,2]})", R"([{"usage":{"prompt_tokens":1}}])", R"({"choices":[]})"}) {
    CAPTURE(body);
    auto c = gd::decode_completion(Dialect::openai, body);
    REQUIRE(c);
    CHECK_FALSE(c->usage);
  }
}

TEST_CASE("one pass agrees with the document readers on every shape and every mangled copy",
          "[providers][completion]") {
  // Hand-made corners: repeated members (the last counts), wrong types at each step, nulls.
  std::vector<std::string> bodies = seeds;
  const auto vectors = vector_bodies();
  CHECK(vectors.size() >= 30);
  bodies.insert(bodies.end(), vectors.begin(), vectors.end());
  for (const char* extra : {
           // Tool calls, refusals and reasoning, mangled: wrong types, repeats, members out of order.
           R"({"choices":[{"message":{"tool_calls":[{"id":"a","function":{"name":"f","arguments":"{}"}},7,)"
           R"({"function":{"arguments":{"x":1}}},{"id":5,"function":"g"}]},"finish_reason":7}]})",
           R"({"choices":[{"message":{"tool_calls":[{"id":"a"}],"tool_calls":null,"refusal":"no","refusal":3}}]})",
           R"({"choices":[{"message":{"reasoning_content":"r","content":"c"},"message":{"content":"d"}},"x",)"
           R"({"text":"legacy","finish_reason":"length"}]})",
           R"({"choices":[{"message":{"tool_calls":[{"function":{"name":"f","arguments":"  {\"a\":[1]} "}}]}}]})",
           R"({"choices":[{"message":{"tool_calls":[{"function":{"name":"f","arguments":"[1]"},"function":{"name":"g"}}]}}]})",
           R"({"content":[{"input":{"z":1,"a":{"c":[1,{"d":null}]}},"name":"n","id":"i","type":"tool_use"},)"
           R"({"type":"tool_use","input":"text"},{"type":"tool_use"},{"type":"tool_use","input":{"a":1},"input":[2]},)"
           R"({"type":"thinking","thinking":7,"signature":"s"},{"type":"redacted_thinking","data":"d","text":"t"},)"
           R"({"type":5,"text":"x"},{"text":"y","type":"text"}],"stop_reason":"tool_use","id":"msg_1"})",
           R"({"content":[{"type":"tool_use","input":{"a":1}}],"content":[{"type":"text","text":"later"}],"stop_reason":5})",
           R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"b":2,"a":1}},"text":"t"},)"
           R"({"functionCall":7,"text":"u"},{"functionCall":{"id":"x"},"functionCall":{"name":"g"}},)"
           R"({"text":"th","thought":true,"thoughtSignature":"s"},{"text":"nt","thought":"true"},)"
           R"({"thoughtSignature":"only"},{"functionCall":{"args":1.5e3,"name":"h"},"thoughtSignature":"cs"}]},)"
           R"("finishReason":"STOP"},"bad",{"finishReason":"SAFETY"}],"responseId":"r-1","id":"not this"})",
           R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"a":1}}}]},)"
           R"("content":{"parts":[{"text":"later"}]},"finishReason":"STOP"}]})",
           R"({"id":"a","id":7,"responseId":["x"]})",
           R"({"id":"an id longer than sixty four bytes, which the reader keeps cut at sixty four bytes ok"})",
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

// Every reader of a provider's reply, fed bodies nested far deeper than any provider's and
// bodies over the size limit: a clear error, never a stack overflow, and the same answer from
// the one-pass reader as from the document readers.

namespace {

std::string nested_reply_arrays(std::size_t n) { return std::string(n, '['); }

std::string nested_reply_objects(std::size_t n) {
  std::string s;
  s.reserve(n * 5);
  for (std::size_t i = 0; i < n; ++i) s += "{\"a\":";
  return s;
}

/// A success body whose first choice's text is "hi" and whose `extra` member is `levels`
/// objects deep (the body itself is one level more).
std::string success_with_depth(std::size_t levels) {
  return R"({"choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":3,"completion_tokens":1},"extra":)" +
         nested_reply_objects(levels) + "1" + std::string(levels, '}') + "}";
}

}  // namespace

TEST_CASE("reply readers refuse a body nested 100 000 deep with an error that names the limit",
          "[providers][limits]") {
  // Closed ones are valid JSON: the document readers once parsed them and then copied the
  // deep member ("content" of Anthropic and Gemini), recursing 100 000 deep.
  const std::string closed_content = R"({"content":)" + nested_reply_arrays(100'000) + std::string(100'000, ']') + "}";
  const std::string closed_candidates =
      R"({"candidates":[{"content":)" + nested_reply_objects(100'000) + "1" + std::string(100'000, '}') + "}]}";
  for (const std::string& body : {nested_reply_arrays(100'000), nested_reply_objects(100'000),
                                  R"({"choices":[{"message":{"content":"hi","x":)" + nested_reply_arrays(100'000),
                                  closed_content, closed_candidates}) {
    for (gp::Dialect d : {gp::Dialect::openai, gp::Dialect::anthropic, gp::Dialect::gemini}) {
      const auto content = gd::extract_content(d, body);
      REQUIRE_FALSE(content);
      CHECK(content.error().code == Errc::parse_error);
      CHECK(content.error().message == "the reply body nests deeper than the limit of 64 levels");
      const auto one_pass = gd::decode_completion(d, body);
      REQUIRE_FALSE(one_pass);
      CHECK(one_pass.error().message == "the reply body nests deeper than the limit of 64 levels");
    }
    const auto usage = gd::extract_usage(body);
    REQUIRE_FALSE(usage);
    CHECK(usage.error().message == "the reply body nests deeper than the limit of 64 levels");
  }
}

TEST_CASE("the one-pass reader and the document readers draw the depth limit at the same level",
          "[providers][limits]") {
  const std::string at_limit = success_with_depth(63);  // 64 levels
  const std::string past_limit = success_with_depth(64);
  CHECK(gd::extract_content(gp::Dialect::openai, at_limit).value() == "hi");
  CHECK(gd::extract_usage(at_limit).value().total() == 4);
  const auto read = gd::decode_completion(gp::Dialect::openai, at_limit);
  REQUIRE(read);
  CHECK(read->content == "hi");
  CHECK(read->usage->total() == 4);

  CHECK_FALSE(gd::extract_content(gp::Dialect::openai, past_limit));
  CHECK_FALSE(gd::extract_usage(past_limit));
  CHECK_FALSE(gd::decode_completion(gp::Dialect::openai, past_limit));

  // The limits are the caller's to set.
  const JsonLimits shallow{JsonLimits{}.max_bytes, 4};
  CHECK_FALSE(gd::decode_completion(gp::Dialect::openai, success_with_depth(4), shallow));
  CHECK_FALSE(gd::extract_content(gp::Dialect::openai, success_with_depth(4), shallow));
  CHECK(gd::decode_completion(gp::Dialect::openai, success_with_depth(2), shallow).value().content == "hi");
}

TEST_CASE("reply readers refuse a body over the size limit before reading it", "[providers][limits]") {
  const std::string body = success_with_depth(1);
  const JsonLimits small{body.size() - 1, 64};
  const auto one_pass = gd::decode_completion(gp::Dialect::openai, body, small);
  REQUIRE_FALSE(one_pass);
  CHECK(one_pass.error().message.find("more than the limit of") != std::string::npos);
  CHECK_FALSE(gd::extract_content(gp::Dialect::openai, body, small));
  CHECK_FALSE(gd::extract_usage(body, small));
  CHECK(gd::decode_completion(gp::Dialect::openai, body, JsonLimits{body.size(), 64}));
}

TEST_CASE("reading into a reply's completion gives what the returned reading gives, and a refused body leaves it empty",
          "[providers][completion]") {
  std::vector<std::string> bodies = seeds;
  bodies.insert(bodies.end(), {"not json", R"({"choices":[)", "", R"({"usage":[1,2]})", success_with_depth(64)});
  for (const std::string& body : bodies) {
    for (Dialect d : dialects) {
      CAPTURE(body, static_cast<int>(d));
      const auto returned = gd::decode_completion(d, body);
      // Filled beforehand: the reading replaces what it held.
      std::optional<gp::Completion> into = gp::Completion{"stale", gp::Usage{1, 0, 0, 1, 0}};
      const auto read = gd::decode_completion(d, body, JsonLimits{}, into);
      REQUIRE(read.has_value() == returned.has_value());
      REQUIRE(into.has_value() == returned.has_value());
      if (returned) {
        CHECK(into->content == returned->content);
        CHECK(into->usage == returned->usage);
      } else {
        CHECK(read.error().code == Errc::parse_error);
        CHECK(read.error().message == returned.error().message);
      }
    }
  }
  const std::string body = success_with_depth(1);
  std::optional<gp::Completion> into;
  const auto over = gd::decode_completion(Dialect::openai, body, JsonLimits{body.size() - 1, 64}, into);
  REQUIRE_FALSE(over);
  CHECK(over.error().message.find("more than the limit of") != std::string::npos);
  CHECK_FALSE(into);
}

TEST_CASE("usage from OpenAI, Anthropic and Gemini replies", "[providers][usage]") {
  auto openai = gd::extract_usage(R"({"usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500,
      "prompt_tokens_details": {"cached_tokens": 1024}, "completion_tokens_details": {"reasoning_tokens": 0}}})");
  REQUIRE(openai);
  CHECK(*openai == gp::Usage{1200, 1024, 0, 300, 0});
  auto anthropic = gd::extract_usage(R"({"type": "message", "usage": {"input_tokens": 50, "output_tokens": 20,
      "cache_read_input_tokens": 1000, "cache_creation_input_tokens": 200}})");
  REQUIRE(anthropic);
  CHECK(*anthropic == gp::Usage{1250, 1000, 200, 20, 0});
  auto gemini = gd::extract_usage(R"({"usageMetadata": {"promptTokenCount": 900, "candidatesTokenCount": 100,
      "thoughtsTokenCount": 50, "cachedContentTokenCount": 800, "totalTokenCount": 1050}})");
  REQUIRE(gemini);
  CHECK(*gemini == gp::Usage{900, 800, 0, 150, 50});
  auto responses = gd::extract_usage(R"({"usage": {"input_tokens": 10, "output_tokens": 5,
      "input_tokens_details": {"cached_tokens": 4}, "output_tokens_details": {"reasoning_tokens": 2}}})");
  REQUIRE(responses);
  CHECK(*responses == gp::Usage{10, 4, 0, 5, 2});
  CHECK_FALSE(gd::extract_usage("not json"));
  CHECK_FALSE(gd::extract_usage(R"({"id": "x"})"));
  CHECK_FALSE(gd::extract_usage(R"({"usage": {"prompt_tokens": -5}})"));
  CHECK_FALSE(gd::extract_usage(R"({"usage": {"prompt_tokens": 5, "prompt_tokens_details": {"cached_tokens": 9}}})"));
}
