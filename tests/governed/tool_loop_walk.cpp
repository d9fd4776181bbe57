// A tool loop carried across providers: the calls a model made and the results the
// application sent back are written in each provider's own form when the conversation moves
// (OpenAI → Anthropic, OpenAI → Gemini), and a provider's reasoning goes back only to it.
// The transport hands back the providers' bytes and records each body it was asked to send.
#include <governed/dialect/request.hpp>
#include <governed/governed.hpp>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace governed;
using nlohmann::json;

namespace {

/// Answers each provider from its own queue of (status, body), and keeps every body sent.
struct ToolLoopTransport {
  std::map<std::string, std::deque<std::pair<int, std::string>>> replies;
  std::vector<std::pair<std::string, json>> sent;  // provider, body

  transport::Reply send(const transport::Attempt& a) {
    const auto* p = providers::builtin_table().provider(a.provider);
    auto encoded = dialect::encode_request(a, p->dialect, {}, false);
    REQUIRE(encoded);
    sent.emplace_back(std::string(a.provider), json::parse(encoded->body));
    transport::Reply r;
    auto& queue = replies[std::string(a.provider)];
    REQUIRE_FALSE(queue.empty());
    std::tie(r.status, r.body) = queue.front();
    queue.pop_front();
    return r;
  }

  const json& last_to(const std::string& provider) const {
    for (auto it = sent.rbegin(); it != sent.rend(); ++it)
      if (it->first == provider) return it->second;
    FAIL("nothing was sent to " << provider);
    return sent.front().second;
  }
};

const std::string openai_calls_weather =
    R"({"id":"chatcmpl-9","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":)"
    R"({"role":"assistant","content":null,"tool_calls":[{"id":"call_Xy1Q","type":"function","function":)"
    R"({"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},"finish_reason":"tool_calls"}],)"
    R"("usage":{"prompt_tokens":60,"completion_tokens":12,"total_tokens":72}})";

const std::string openai_out_of_credit =
    R"({"error":{"message":"You exceeded your current quota, please check your plan and billing details.",)"
    R"("type":"insufficient_quota","param":null,"code":"insufficient_quota"}})";

const std::string anthropic_answers =
    R"({"id":"msg_01","type":"message","role":"assistant","model":"claude-3-5-sonnet-20241022","content":)"
    R"([{"type":"text","text":"It is 21 C in Oslo."}],"stop_reason":"end_turn","stop_sequence":null,)"
    R"("usage":{"input_tokens":90,"output_tokens":9}})";

const std::string gemini_answers =
    R"({"candidates":[{"content":{"role":"model","parts":[{"text":"It is 21 C in Oslo."}]},)"
    R"("finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":90,"candidatesTokenCount":9,)"
    R"("totalTokenCount":99},"modelVersion":"gemini-2.5-flash","responseId":"resp-1"})";

std::shared_ptr<State<>> tool_loop_state(const std::string& table_override = {}) {
  StateConfig c;
  c.keys.keys = {{"openai", "sk-toolloop-openai-key-000000000000000", "org-loop"},
                 {"anthropic", "sk-ant-toolloop-key-0000000000000000000", "anthropic-loop"},
                 {"gemini", "AIzaToolLoopKey000000000000000000000000", "gemini-loop"}};
  c.keys.persist = false;
  if (!table_override.empty()) c.table = providers::apply_override(providers::builtin_table(), table_override, "test").value();
  return State<>::create(std::move(c)).value();
}

Request weather_request() {
  Request req;
  req.provider = "openai";
  req.model = "gpt-4o";
  req.max_tokens = 200;
  req.messages = {{"user", "What is the weather in Oslo?"}};
  req.tools = {{"get_weather", "The weather in a city now.",
                json{{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}, {"required", {"city"}}}}};
  return req;
}

/// The first turn on OpenAI: the model calls get_weather; the application runs it.
void first_turn_on_openai(Governed<ToolLoopTransport>& g, ToolLoopTransport& t, Request& req) {
  t.replies["openai"].push_back({200, openai_calls_weather});
  const auto r = g.send(req);
  REQUIRE(r);
  CHECK(r->provider == "openai");
  CHECK(r->finish == providers::FinishReason::tool_calls);
  REQUIRE(r->tool_calls().size() == 1);
  CHECK(r->tool_calls()[0].id == "call_Xy1Q");
  CHECK(json::parse(r->tool_calls()[0].arguments) == json{{"city", "Oslo"}});
  req.messages.push_back(r->as_message());
  req.messages.push_back({.role = "tool", .content = "21 C", .tool_call_id = r->tool_calls()[0].id});
}

/// The block of `type` among a message's content blocks; null when there is none.
const json* block(const json& message, std::string_view type) {
  for (const auto& b : message["content"])
    if (b.value("type", "") == type) return &b;
  return nullptr;
}

}  // namespace

TEST_CASE("a tool loop started on OpenAI finishes on Anthropic: the history's call and result are sent as "
          "tool_use and tool_result, and the answer comes back",
          "[governed][tools]") {
  auto t = std::make_shared<ToolLoopTransport>();
  Governed<ToolLoopTransport> g(tool_loop_state(), t);
  Request req = weather_request();
  first_turn_on_openai(g, *t, req);

  t->replies["openai"].push_back({429, openai_out_of_credit});
  t->replies["anthropic"].push_back({200, anthropic_answers});
  const auto r = g.send(req);
  REQUIRE(r);
  CHECK(r->provider == "anthropic");
  CHECK(r->content == "It is 21 C in Oslo.");
  CHECK(r->finish == providers::FinishReason::stop);
  CHECK(r->provider_finish == "end_turn");

  const json& body = t->last_to("anthropic");
  REQUIRE(body["messages"].size() == 3);
  const json& assistant = body["messages"][1];
  CHECK(assistant["role"] == "assistant");
  const json* use = block(assistant, "tool_use");
  REQUIRE(use);
  CHECK((*use)["id"] == "call_Xy1Q");
  CHECK((*use)["name"] == "get_weather");
  CHECK((*use)["input"] == json{{"city", "Oslo"}});
  const json& user = body["messages"][2];
  CHECK(user["role"] == "user");
  const json* result = block(user, "tool_result");
  REQUIRE(result);
  CHECK((*result)["tool_use_id"] == "call_Xy1Q");
  CHECK(result->dump().find("21 C") != std::string::npos);
  // The tool definition in Anthropic's form.
  REQUIRE(body["tools"].size() == 1);
  CHECK(body["tools"][0]["name"] == "get_weather");
  CHECK(body["tools"][0]["input_schema"]["required"] == json{"city"});
}

TEST_CASE("a tool loop started on OpenAI finishes on Gemini: functionCall and functionResponse parts, and "
          "reasoning another provider wrote is not sent",
          "[governed][tools]") {
  auto t = std::make_shared<ToolLoopTransport>();
  Governed<ToolLoopTransport> g(
      tool_loop_state(R"({"providers":{"openai":{"fallback":{"models":["gpt-4o"],"providers":["gemini"]}}}})"), t);
  Request req = weather_request();
  // An earlier turn Anthropic wrote, with its signed thinking: Gemini must not get it.
  req.messages.insert(req.messages.begin(),
                      {{"user", "Hello"},
                       {.role = "assistant",
                        .content = "Hello! Ask me about the weather.",
                        .reasoning = {{.text = "A greeting.", .signature = "EqQBCgIYAhIM"}},
                        .origin = "anthropic"}});
  first_turn_on_openai(g, *t, req);

  t->replies["openai"].push_back({429, openai_out_of_credit});
  t->replies["gemini"].push_back({200, gemini_answers});
  const auto r = g.send(req);
  REQUIRE(r);
  CHECK(r->provider == "gemini");
  CHECK(r->content == "It is 21 C in Oslo.");
  CHECK(r->request_id.view() == "resp-1");

  const json& body = t->last_to("gemini");
  const std::string text = body.dump();
  CHECK(text.find("EqQBCgIYAhIM") == std::string::npos);
  CHECK(text.find("A greeting.") == std::string::npos);
  CHECK(text.find("\"thought\"") == std::string::npos);
  const json& contents = body["contents"];
  REQUIRE(contents.size() == 5);
  CHECK(contents[1]["parts"] == json::parse(R"([{"text": "Hello! Ask me about the weather."}])"));
  CHECK(contents[3]["role"] == "model");
  CHECK(contents[3]["parts"][0]["functionCall"]["name"] == "get_weather");
  CHECK(contents[3]["parts"][0]["functionCall"]["args"] == json{{"city", "Oslo"}});
  CHECK(contents[4]["role"] == "user");
  CHECK(contents[4]["parts"][0]["functionResponse"]["name"] == "get_weather");
  CHECK(contents[4]["parts"][0]["functionResponse"]["response"] == json{{"result", "21 C"}});
  REQUIRE(body["tools"].size() == 1);
  CHECK(body["tools"][0]["functionDeclarations"][0]["name"] == "get_weather");
}

TEST_CASE("a thinking block Anthropic wrote goes back to Anthropic unchanged, before its tool call", "[governed][tools]") {
  auto t = std::make_shared<ToolLoopTransport>();
  // A Claude model that thinks (the built-in table lists the 3.x models, which do not).
  Governed<ToolLoopTransport> g(tool_loop_state(R"({"providers": {"anthropic": {"models": {"claude-sonnet-4-5": {
      "context_window": 200000, "max_output_tokens": 64000,
      "price": {"input": 3.00, "cached_input": 0.30, "cache_write": 3.75, "output": 15.00},
      "tiers": {"free": "unavailable", "tier1": {"rpm": 50, "itpm": 30000, "otpm": 8000}},
      "capabilities": ["tools", "vision", "documents", "json_mode", "json_schema", "reasoning_budget",
                       "prompt_cache_marks"],
      "as_of": "2026-12-07"}}}}})"),
                                t);
  Request req = weather_request();
  req.provider = "anthropic";
  req.model = "claude-sonnet-4-5";
  req.reasoning = Reasoning{.budget_tokens = 1024};
  req.max_tokens = 4096;
  t->replies["anthropic"].push_back(
      {200, R"({"id":"msg_02","type":"message","role":"assistant","model":"claude-3-5-sonnet-20241022","content":[)"
            R"({"type":"thinking","thinking":"Look up Oslo.","signature":"EqQBCgIYAhIMsig"},)"
            R"({"type":"tool_use","id":"toolu_01A","name":"get_weather","input":{"city":"Oslo"}}],)"
            R"("stop_reason":"tool_use","usage":{"input_tokens":70,"output_tokens":30}})"});
  const auto first = g.send(req);
  REQUIRE(first);
  CHECK(first->finish == providers::FinishReason::tool_calls);
  REQUIRE(first->reasoning().size() == 1);
  CHECK(first->reasoning()[0].signature == "EqQBCgIYAhIMsig");
  req.messages.push_back(first->as_message());
  req.messages.push_back({.role = "tool", .content = "21 C", .tool_call_id = "toolu_01A"});

  t->replies["anthropic"].push_back({200, anthropic_answers});
  REQUIRE(g.send(req));
  const json& assistant = t->last_to("anthropic")["messages"][1];
  REQUIRE(assistant["content"].size() == 2);
  CHECK(assistant["content"][0] ==
        json::parse(R"({"type": "thinking", "thinking": "Look up Oslo.", "signature": "EqQBCgIYAhIMsig"})"));
  CHECK(assistant["content"][1]["type"] == "tool_use");
  CHECK(assistant["content"][1]["id"] == "toolu_01A");
}
