#include <governed/wire/format.hpp>
#include <governed/wire/sse.hpp>
#include <governed/wire/stream.hpp>
#include <governed/transport/http.hpp>
#include <governed/transport/proxy.hpp>

#include "../transport/test_server.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace governed;
using nlohmann::json;
namespace gp = governed::providers;

namespace {

struct Sse {
  std::string event, data, id;
  friend bool operator==(const Sse&, const Sse&) = default;
};

std::vector<Sse> parse_in_pieces(std::string_view text, std::size_t piece) {
  wire::SseParser p;
  std::vector<Sse> out;
  for (std::size_t i = 0; i < text.size(); i += piece)
    REQUIRE(p.feed(text.substr(i, piece), [&](const wire::SseEvent& e) {
      out.push_back({std::string(e.event), std::string(e.data), std::string(e.id)});
    }) == wire::SseParser::Status::ok);
  return out;
}

Request chat() {
  Request r;
  r.messages = {{"system", "Be brief."}, {"user", "Hello"}, {"assistant", "Hi."}, {"system", "Use French."},
                {"user", "Again"}};
  r.max_tokens = 77;
  return r;
}

json body_of(const wire::HttpRequest& r) { return json::parse(r.body); }

}  // namespace

// ---- server-sent events ------------------------------------------------------------------------

TEST_CASE("sse: the same events whatever the split of the bytes", "[wire][sse]") {
  const std::string text =
      "\xEF\xBB\xBF: a comment\r\n"
      "event: message_start\r\n"
      "data: {\"a\":1}\r\n"
      "\r\n"
      "data: line one\n"
      "data: line two\n"
      "id: 7\n"
      "\n"
      "data:no space\r"
      "\r"
      "event: only-event\n"
      "\n"
      "data: [DONE]\n\n";
  const std::vector<Sse> want = {{"message_start", "{\"a\":1}", ""},
                                   {"message", "line one\nline two", "7"},
                                   {"message", "no space", "7"},
                                   {"message", "[DONE]", "7"}};
  for (std::size_t piece = 1; piece <= text.size(); ++piece) {
    INFO("pieces of " << piece << " bytes");
    CHECK(parse_in_pieces(text, piece) == want);
  }
}

TEST_CASE("sse: a CRLF split between reads is one line end", "[wire][sse]") {
  wire::SseParser p;
  std::vector<std::string> data;
  auto on = [&](const wire::SseEvent& e) { data.emplace_back(e.data); };
  p.feed("data: a\r", on);
  p.feed("\n\r", on);
  CHECK(data == std::vector<std::string>{"a"});
  p.feed("\ndata: b\r\n\r\n", on);
  CHECK(data == std::vector<std::string>{"a", "b"});
  CHECK_FALSE(p.pending());
  p.feed("data: c", on);
  CHECK(p.pending());
}

TEST_CASE("sse: a line longer than the limit is an error, not a growing buffer", "[wire][sse]") {
  wire::SseParser p(1024);
  auto none = [](const wire::SseEvent&) { FAIL("no event expected"); };
  CHECK(p.feed(std::string(1000, 'x'), none) == wire::SseParser::Status::ok);
  CHECK(p.feed(std::string(100, 'x'), none) == wire::SseParser::Status::too_large);
  CHECK(p.feed("\n\n", none) == wire::SseParser::Status::too_large);

  wire::SseParser q(64);
  int events = 0;
  std::string many;
  for (int i = 0; i < 10; ++i) many += "data: 0123456789\n";
  CHECK(q.feed(many + "\n", [&](const wire::SseEvent&) { ++events; }) == wire::SseParser::Status::too_large);
  CHECK(events == 0);
}

// ---- stream events per dialect -----------------------------------------------------------------

TEST_CASE("stream: OpenAI chunks, the include_usage chunk and [DONE]", "[wire][stream]") {
  wire::StreamReader r{gp::Dialect::openai};
  std::vector<std::string> pieces;
  const std::string s =
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}],\"usage\":null}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}],\"usage\":null}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":2,\"total_tokens\":14,"
      "\"prompt_tokens_details\":{\"cached_tokens\":4}}}\n\n"
      "data: [DONE]\n\n";
  CHECK(r.feed(s, [&](std::string_view p) { pieces.emplace_back(p); }));
  CHECK(pieces == std::vector<std::string>{"Hel", "lo"});
  CHECK(r.complete());
  CHECK(r.streamed().content == "Hello");
  CHECK(r.streamed().chunks == 2);
  REQUIRE(r.streamed().usage);
  CHECK(r.streamed().usage->input_tokens == 12);
  CHECK(r.streamed().usage->cached_input_tokens == 4);
  CHECK(r.streamed().usage->output_tokens == 2);
}

TEST_CASE("stream: Groq's usage under x_groq, and a stream cut before [DONE] is incomplete", "[wire][stream]") {
  wire::StreamReader r{gp::Dialect::groq};
  CHECK(r.feed("data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"},\"finish_reason\":\"stop\"}],"
               "\"x_groq\":{\"id\":\"req_1\",\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1}}}\n\n",
               [](std::string_view) {}));
  REQUIRE(r.streamed().usage);
  CHECK(r.streamed().usage->total() == 6);
  CHECK_FALSE(r.complete());
  CHECK(r.feed("data: [DONE]\n\n", [](std::string_view) {}));
  CHECK(r.complete());
}

TEST_CASE("stream: Anthropic input usage from message_start, output from message_delta", "[wire][stream]") {
  wire::StreamReader r{gp::Dialect::anthropic};
  std::string text;
  const std::string s =
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"usage\":"
      "{\"input_tokens\":20,\"cache_read_input_tokens\":100,\"cache_creation_input_tokens\":0,\"output_tokens\":1}}}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
      "{\"type\":\"text\",\"text\":\"\"}}\n\n"
      "event: ping\ndata: {\"type\": \"ping\"}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
      "{\"type\":\"text_delta\",\"text\":\"Bonjour\"}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
      "{\"type\":\"text_delta\",\"text\":\" !\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
      "\"usage\":{\"output_tokens\":9}}\n\n";
  CHECK(r.feed(s, [&](std::string_view p) { text += p; }));
  CHECK(text == "Bonjour !");
  CHECK_FALSE(r.complete());
  CHECK(r.feed("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", [](std::string_view) {}));
  CHECK(r.complete());
  REQUIRE(r.streamed().usage);
  CHECK(r.streamed().usage->input_tokens == 120);
  CHECK(r.streamed().usage->cached_input_tokens == 100);
  CHECK(r.streamed().usage->output_tokens == 9);
}

TEST_CASE("stream: Anthropic's error event stops the stream and keeps the error for the classifier",
          "[wire][stream]") {
  wire::StreamReader r{gp::Dialect::anthropic};
  CHECK_FALSE(r.feed("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                     "\"message\":\"Overloaded\"}}\n\n",
                     [](std::string_view) {}));
  CHECK(r.problem() == wire::StreamReader::Problem::error_event);
  CHECK(json::parse(r.error_body())["error"]["type"] == "overloaded_error");
  CHECK_FALSE(r.complete());
}

TEST_CASE("stream: Gemini parts, thoughts left out, the last usageMetadata", "[wire][stream]") {
  wire::StreamReader r{gp::Dialect::gemini};
  std::vector<std::string> pieces;
  const std::string s =
      "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"thinking\",\"thought\":true},"
      "{\"text\":\"Ciao\"}]}}],\"usageMetadata\":{\"promptTokenCount\":8,\"candidatesTokenCount\":1}}\r\n\r\n"
      "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\" a tutti\"}]},"
      "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":8,\"candidatesTokenCount\":4,"
      "\"thoughtsTokenCount\":3,\"totalTokenCount\":15}}\r\n\r\n";
  CHECK(r.feed(s, [&](std::string_view p) { pieces.emplace_back(p); }));
  CHECK(pieces == std::vector<std::string>{"Ciao", " a tutti"});
  CHECK(r.complete());
  REQUIRE(r.streamed().usage);
  CHECK(r.streamed().usage->input_tokens == 8);
  CHECK(r.streamed().usage->output_tokens == 7);
  CHECK(r.streamed().usage->reasoning_tokens == 3);
}

TEST_CASE("stream: an event that is not JSON is a malformed stream", "[wire][stream]") {
  wire::StreamReader r{gp::Dialect::openai};
  CHECK_FALSE(r.feed("data: <html>oops</html>\n\n", [](std::string_view) {}));
  CHECK(r.problem() == wire::StreamReader::Problem::malformed);
  CHECK_FALSE(r.feed("data: [DONE]\n\n", [](std::string_view) {}));
}

TEST_CASE("stream: a server's event nested 100 000 deep ends the call with a failure naming the depth limit",
          "[wire][stream][limits]") {
  const std::string deep(100'000, '[');
  httptest::Server server([&](const httptest::Seen& seen) {
    // A stream request answered with a whole body as deep: read as no text, not a crash.
    if (seen.target.starts_with("/whole")) return httptest::Script{httptest::write(httptest::response(200, deep))};
    return httptest::sse({"data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n", "data: " + deep + "\n\n"});
  });
  transport::http t{transport::HttpOptions{}};
  const Request req = chat();
  std::string shown;
  auto deep_event = t.stream({req, "openai", "gpt-4o", server.url("/v1"), "k"}, [&](std::string_view p) { shown += p; });
  REQUIRE(deep_event.failure);
  CHECK(*deep_event.failure == gp::NetworkFailure::closed_early);
  CHECK(deep_event.failure_detail == "an event of the stream nests deeper than 64 levels");
  CHECK(shown == "Hi");  // what was shown before stays shown

  auto whole = t.stream({req, "openai", "gpt-4o", server.url("/whole"), "k"}, [&](std::string_view p) { shown += p; });
  CHECK_FALSE(whole.failure);
  REQUIRE(whole.streamed);
  CHECK(whole.streamed->chunks == 0);
  CHECK(whole.body.size() == deep.size());
}

// ---- requests ------------------------------------------------------------------------------------

TEST_CASE("wire: OpenAI chat completions, max_completion_tokens, parameters over the body", "[wire][openai]") {
  Request req = chat();
  req.temperature = 0.5;
  req.n = 2;
  req.parameters = {{"top_p", 0.9}, {"stop", {"\n"}}};
  const auto r = wire::build_request({req, "openai", "gpt-4o", "https://api.openai.com/v1", "sk-test"},
                                     gp::Dialect::openai, {}, false);
  REQUIRE(r);
  CHECK(r->method == "POST");
  CHECK(r->target == "/v1/chat/completions");
  CHECK(r->header("authorization") == "Bearer sk-test");
  CHECK(r->header("content-type") == "application/json");
  const json b = body_of(*r);
  CHECK(b["model"] == "gpt-4o");
  CHECK(b["max_completion_tokens"] == 77);
  CHECK_FALSE(b.contains("max_tokens"));
  CHECK(b["n"] == 2);
  CHECK(b["temperature"] == 0.5);
  CHECK(b["top_p"] == 0.9);
  CHECK(b["messages"].size() == 5);
  CHECK(b["messages"][0] == json{{"role", "system"}, {"content", "Be brief."}});
  CHECK_FALSE(b.contains("stream"));

  // A caller's max_tokens replaces the format's limit rather than joining it.
  req.parameters = {{"max_tokens", 5}};
  const json c = body_of(*wire::build_request({req, "openai", "gpt-4o", "https://api.openai.com/v1", "k"},
                                              gp::Dialect::openai, {}, false));
  CHECK(c["max_tokens"] == 5);
  CHECK_FALSE(c.contains("max_completion_tokens"));
}

TEST_CASE("wire: streams ask for usage, except from Mistral", "[wire][openai]") {
  const Request req = chat();
  const json groq = body_of(*wire::build_request({req, "groq", "llama-3.3-70b-versatile",
                                                  "https://api.groq.com/openai/v1", "gsk"},
                                                 gp::Dialect::groq, {}, true));
  CHECK(groq["stream"] == true);
  CHECK(groq["stream_options"]["include_usage"] == true);
  CHECK(groq["max_tokens"] == 77);
  const auto m = wire::build_request({req, "mistral", "mistral-small-latest", "https://api.mistral.ai/v1", "k"},
                                     gp::Dialect::mistral, {}, true);
  CHECK(m->header("accept") == "text/event-stream");
  CHECK(body_of(*m)["stream"] == true);
  CHECK_FALSE(body_of(*m).contains("stream_options"));
  const auto compat = wire::build_request({req, "openai_compatible", "qwen", "http://127.0.0.1:8000/v1/", "k"},
                                          gp::Dialect::openai, {}, false);
  CHECK(compat->target == "/v1/chat/completions");
}

TEST_CASE("wire: Azure deployment URLs, api-key, api-version; the v1 API", "[wire][azure]") {
  const Request req = chat();
  const auto r = wire::build_request({req, "azure", "my-gpt4o", "https://res.openai.azure.com/openai", "azkey"},
                                     gp::Dialect::azure, {}, false);
  REQUIRE(r);
  CHECK(r->target == "/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21");
  CHECK(r->header("api-key") == "azkey");
  CHECK(r->header("authorization").empty());
  CHECK_FALSE(body_of(*r).contains("model"));
  CHECK(body_of(*r)["max_completion_tokens"] == 77);

  const auto pinned = wire::build_request(
      {req, "azure", "dep/../x", "https://res.openai.azure.com/openai?api-version=2025-01-01-preview", "k"},
      gp::Dialect::azure, {}, false);
  CHECK(pinned->target == "/openai/deployments/dep%2F..%2Fx/chat/completions?api-version=2025-01-01-preview");

  const auto v1 = wire::build_request({req, "azure", "gpt-4o", "https://res.openai.azure.com/openai/v1", "k"},
                                      gp::Dialect::azure, {}, false);
  CHECK(v1->target == "/openai/v1/chat/completions");
  CHECK(body_of(*v1)["model"] == "gpt-4o");
}

TEST_CASE("wire: Anthropic messages, system at the top, max_tokens always", "[wire][anthropic]") {
  Request req = chat();
  req.messages.push_back({"tool", "42"});
  const auto r = wire::build_request({req, "anthropic", "claude-sonnet-4-5", "https://api.anthropic.com/v1", "sk-ant"},
                                     gp::Dialect::anthropic, {}, true);
  REQUIRE(r);
  CHECK(r->target == "/v1/messages");
  CHECK(r->header("x-api-key") == "sk-ant");
  CHECK(r->header("anthropic-version") == "2023-06-01");
  const json b = body_of(*r);
  CHECK(b["system"] == "Be brief.\n\nUse French.");
  CHECK(b["max_tokens"] == 77);
  CHECK(b["stream"] == true);
  REQUIRE(b["messages"].size() == 4);
  CHECK(b["messages"][0] == json{{"role", "user"}, {"content", "Hello"}});
  CHECK(b["messages"][1]["role"] == "assistant");
  CHECK(b["messages"][3] == json{{"role", "user"}, {"content", "42"}});
}

TEST_CASE("wire: Gemini contents, role model, systemInstruction, generationConfig", "[wire][gemini]") {
  Request req = chat();
  req.temperature = 0.2;
  req.parameters = {{"generationConfig", {{"topP", 0.8}}}};
  const auto r = wire::build_request({req, "gemini", "gemini-2.5-flash",
                                      "https://generativelanguage.googleapis.com/v1beta", "AIza"},
                                     gp::Dialect::gemini, {}, false);
  REQUIRE(r);
  CHECK(r->target == "/v1beta/models/gemini-2.5-flash:generateContent");
  CHECK(r->header("x-goog-api-key") == "AIza");
  const json b = body_of(*r);
  CHECK(b["systemInstruction"]["parts"][0]["text"] == "Be brief.\n\nUse French.");
  REQUIRE(b["contents"].size() == 3);
  CHECK(b["contents"][1] == json{{"role", "model"}, {"parts", {{{"text", "Hi."}}}}});
  CHECK(b["generationConfig"]["maxOutputTokens"] == 77);
  CHECK(b["generationConfig"]["temperature"] == 0.2);
  CHECK(b["generationConfig"]["topP"] == 0.8);

  const auto s = wire::build_request({req, "gemini", "models/gemini-2.5-flash",
                                      "https://generativelanguage.googleapis.com/v1beta", "AIza"},
                                     gp::Dialect::gemini, {}, true);
  CHECK(s->target == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
}

TEST_CASE("wire: base URLs that can not be used are refused with the reason", "[wire][url]") {
  auto u = wire::parse_url("HTTPS://API.Example.com:8443/v1/?x=1");
  REQUIRE(u);
  CHECK(u->tls);
  CHECK(u->host == "api.example.com");
  CHECK(u->port == 8443);
  CHECK(u->path == "/v1");
  CHECK(u->target("/chat") == "/v1/chat?x=1");
  auto v6 = wire::parse_url("http://[::1]:9000");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->authority() == "[::1]:9000");
  CHECK(v6->target("") == "/");

  const Request req = chat();
  auto placeholder = wire::build_request({req, "azure", "d", "https://{resource}.openai.azure.com/openai", "k"},
                                         gp::Dialect::azure, {}, false);
  REQUIRE_FALSE(placeholder);
  CHECK_THAT(placeholder.error().message, Catch::Contains("placeholder"));
  auto secret = wire::parse_url("https://user:sk-secret@api.openai.com/v1");
  REQUIRE_FALSE(secret);
  CHECK_THAT(secret.error().message, !Catch::Contains("sk-secret"));
  CHECK_FALSE(wire::parse_url(""));
  CHECK_FALSE(wire::parse_url("ftp://x"));
  CHECK_FALSE(wire::parse_url("https://x:99999"));
  CHECK_FALSE(wire::parse_url("https://x y"));
  CHECK_FALSE(wire::parse_url("https://"));
}

TEST_CASE("proxy: HTTPS_PROXY with NO_PROXY, loopback always direct", "[wire][proxy]") {
  transport::ProxySettings s{"http://user:p%40ss@proxy.corp:3128", "", "internal.corp, .example.org,10.0.0.1:443"};
  auto target = [](std::string_view url) { return *wire::parse_url(url); };
  auto p = s.for_target(target("https://api.openai.com/v1"));
  REQUIRE(p);
  REQUIRE(*p);
  CHECK((*p)->url.host == "proxy.corp");
  CHECK((*p)->url.port == 3128);
  CHECK((*p)->credentials == "user:p@ss");
  CHECK_FALSE(*s.for_target(target("https://internal.corp/v1")));
  CHECK_FALSE(*s.for_target(target("https://api.internal.corp/v1")));
  CHECK(*s.for_target(target("https://notinternal.corp/v1")));
  CHECK_FALSE(*s.for_target(target("https://a.example.org")));
  CHECK_FALSE(*s.for_target(target("https://10.0.0.1")));
  CHECK(*s.for_target(target("https://10.0.0.1:8443")));
  CHECK_FALSE(*s.for_target(target("https://localhost:8443")));
  CHECK_FALSE(*s.for_target(target("http://127.0.0.1:8080")));  // no HTTP_PROXY set
  CHECK(transport::ProxySettings::parse_proxy("proxy:8080").value()->url.port == 8080);
  CHECK(transport::ProxySettings::parse_proxy("http://proxy").value()->url.port == 1080);
  CHECK_FALSE(transport::ProxySettings::parse_proxy("https://proxy:443"));
  CHECK_FALSE(*transport::ProxySettings{"proxy:1", "", "*"}.for_target(target("https://api.openai.com")));
}

TEST_CASE("proxy: credentials are decoded as curl decodes them, and no error repeats the setting",
          "[wire][proxy]") {
  auto proxy = [](std::string_view spec) { return transport::ProxySettings::parse_proxy(spec); };
  auto raw = proxy("http://user:p@ss#1@Proxy.Corp:3128");
  REQUIRE(raw);
  CHECK((*raw)->credentials == "user:p@ss#1");
  CHECK((*raw)->url.host == "proxy.corp");
  CHECK((*raw)->url.authority(true) == "proxy.corp:3128");
  // A '%' that starts no escape is part of the password, as curl reads it.
  CHECK(proxy("user:100%sure@proxy").value()->credentials == "user:100%sure");
  CHECK(proxy("[::1]:3128").value()->url.authority(true) == "[::1]:3128");
  for (const char* bad : {"http://user:hunter2@pro xy:3128", "http://user:hunter2@proxy:0", "socks5://user:hunter2@proxy",
                          "http://user:hunter2@", "https://user:hunter2@proxy"}) {
    INFO(bad);
    auto p = proxy(bad);
    REQUIRE_FALSE(p);
    CHECK(p.error().code == Errc::invalid_argument);
    CHECK_THAT(p.error().message, !Catch::Contains("hunter2"));
  }
}

