// A transport that hands back bytes only (status, headers, body; no `reads_replies`):
// Governed reads each reply's body in the attempt's dialect before the walk decides, so its
// answers reach the Response and its errors are classified as a reading transport's are; a
// reply whose fields it filled itself is taken as read.
#include <governed/governed.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>

using namespace governed;

namespace {

const std::string bytes_only_answer =
    R"({"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,)"
    R"("message":{"role":"assistant","content":"Hello."},"finish_reason":"stop"}],)"
    R"("usage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14}})";

/// Refuses the first attempt's key with OpenAI's 401 body, then answers every attempt.
struct RefusesFirstKey {
  int attempts = 0;
  transport::Reply send(const transport::Attempt&) {
    transport::Reply r;
    if (attempts++ == 0) {
      r.status = 401;
      r.body = R"({"error":{"message":"Incorrect API key provided.","type":"invalid_request_error",)"
               R"("param":null,"code":"invalid_api_key"}})";
      return r;
    }
    r.status = 200;
    r.body = bytes_only_answer;
    return r;
  }
};

/// Fills the answer itself and sends a body nobody could read, without declaring reads_replies.
struct FillsItsOwnAnswer {
  transport::Reply send(const transport::Attempt&) {
    transport::Reply r;
    r.status = 200;
    r.body = "not a body anybody reads";
    r.completion = providers::Completion{"Filled in.", providers::Usage{30, 0, 0, 4, 0}};
    return r;
  }
};

std::shared_ptr<State<>> bytes_only_state() {
  StateConfig c;
  c.keys.keys = {{"openai", "sk-bytesonly-test-key-a-000000000000", "org-bytes-a"},
                 {"openai", "sk-bytesonly-test-key-b-000000000000", "org-bytes-b"}};
  c.keys.persist = false;
  c.providers["openai"] = ProviderSettings{.rpm = 1000, .tpm = 1000000};
  auto state = State<>::create(std::move(c));
  REQUIRE(state);
  return *state;
}

Request bytes_only_request() {
  Request req;
  req.provider = "openai";
  req.model = "gpt-4o-mini";
  req.messages = {{"user", "Say hello."}};
  req.max_tokens = 16;
  return req;
}

}  // namespace

static_assert(!transport::ReadsReplies<RefusesFirstKey>);

TEST_CASE("a transport that hands back bytes only: its 401 body is read, the key refused, and the answer's text "
          "and usage reach the Response",
          "[governed][transport]") {
  auto transport = std::make_shared<RefusesFirstKey>();
  Governed<RefusesFirstKey> g(bytes_only_state(), transport);
  const auto r = g.send(bytes_only_request());
  REQUIRE(r);
  CHECK(transport->attempts == 2);
  CHECK(r->attempts == 2);
  CHECK(std::any_of(r->events.begin(), r->events.end(), [](const Event& e) { return e.kind == EventKind::key_invalid; }));
  CHECK(r->content == "Hello.");
  CHECK(r->usage.input_tokens == 12);
  CHECK(r->usage.output_tokens == 2);
}

TEST_CASE("a transport that fills its replies' answer without declaring reads_replies: the answer is taken as read",
          "[governed][transport]") {
  Governed<FillsItsOwnAnswer> g(bytes_only_state(), std::make_shared<FillsItsOwnAnswer>());
  const auto r = g.send(bytes_only_request());
  REQUIRE(r);
  CHECK(r->content == "Filled in.");
  CHECK(r->usage.input_tokens == 30);
  CHECK(r->usage.output_tokens == 4);
}
