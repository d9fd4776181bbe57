#include <governed/dialect/classify.hpp>

#include <governed/dialect/error.hpp>
#include <governed/providers/classify.hpp>
#include <governed/providers/table.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace governed;
namespace gp = governed::providers;
namespace gd = governed::dialect;

namespace {

const WallTime classify_now{std::chrono::seconds{1'790'000'000}};

struct BytesCase {
  std::string_view provider;
  int status;
  std::string_view body;
};

}  // namespace

TEST_CASE("classifying a reply's bytes gives the verdict of the rules over its decoded body",
          "[dialect][classify]") {
  const std::vector<gp::Header> headers = {{"retry-after", "7"}, {"x-ratelimit-remaining-requests", "0"}};
  const BytesCase cases[] = {
      {"openai", 429,
       R"({"error":{"message":"Rate limit reached for gpt-4o on tokens per min (TPM): Limit 30000, Used 29937, Requested 385. Please try again in 644ms.","type":"tokens","code":"rate_limit_exceeded"}})"},
      {"openai", 429, R"({"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}})"},
      {"anthropic", 529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"},
      {"gemini", 429, R"({"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}})"},
      {"mistral", 401, R"({"object":"error","message":"Unauthorized","type":"invalid_request_error","code":"1000"})"},
      {"azure", 400, R"({"error":{"code":"context_length_exceeded","message":"This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens."}})"},
      {"groq", 503, "upstream connect error"},
      {"openai", 200, R"({"choices":[]})"},
  };
  const gp::Table& table = gp::builtin_table();
  for (const auto& c : cases) {
    CAPTURE(c.provider, c.status, c.body);
    const gp::Provider* p = gp::find_provider(table, c.provider);
    REQUIRE(p);
    const gp::HeaderView view{headers};
    const gp::Verdict bytes = gd::classify(c.provider, c.status, view, c.body, classify_now);
    const gp::ErrorBody body = gp::reads_error_body(c.status) ? gd::decode_error(p->dialect, c.body) : gp::ErrorBody{};
    const gp::Verdict decoded = gp::classify(p, p->dialect, c.status, view, body, classify_now);
    CHECK(bytes.kind == decoded.kind);
    CHECK(bytes.scope == decoded.scope);
    CHECK(bytes.retryable == decoded.retryable);
    CHECK(bytes.rotate_key == decoded.rotate_key);
    CHECK(bytes.wait == decoded.wait);
    CHECK(bytes.resets_at == decoded.resets_at);
    CHECK(bytes.requested == decoded.requested);
    CHECK(bytes.limit == decoded.limit);
    CHECK(bytes.detail == decoded.detail);
  }
}

TEST_CASE("only an error status has a body the classifier reads", "[dialect][classify]") {
  CHECK_FALSE(gp::reads_error_body(200));
  CHECK_FALSE(gp::reads_error_body(204));
  CHECK_FALSE(gp::reads_error_body(299));
  CHECK(gp::reads_error_body(199));
  CHECK(gp::reads_error_body(300));
  CHECK(gp::reads_error_body(429));
  CHECK(gp::reads_error_body(599));
  CHECK_FALSE(gp::reads_error_body(0));
  CHECK_FALSE(gp::reads_error_body(600));

  // A success is a success whatever its body says; a status no server sends is a network error.
  const std::string_view says_error = R"({"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}})";
  CHECK(gd::classify("openai", 200, gp::HeaderView{}, says_error, classify_now).kind == gp::Kind::success);
  const auto nonsense = gd::classify("openai", 0, gp::HeaderView{}, says_error, classify_now);
  CHECK(nonsense.kind == gp::Kind::network_error);
  CHECK(nonsense.detail == "no valid HTTP status (0)");
}

TEST_CASE("a provider the table does not know is classified by the generic rules over OpenAI's shape",
          "[dialect][classify]") {
  const std::string_view body = R"({"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}})";
  const auto v = gd::classify(gp::builtin_table(), "vllm-local", 429, gp::HeaderView{}, body, classify_now);
  CHECK(gp::is_rate_limit(v.kind));
  CHECK(v.retryable);
  CHECK(gd::classify("claude", 529, gp::HeaderView{}, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})",
                     classify_now)
            .kind == gp::Kind::overloaded);
}

TEST_CASE("an OpenRouter error's copied upstream headers are read by their names: the reset gives the wait",
          "[dialect][classify]") {
  // OpenRouter puts the upstream's rate-limit headers in error.metadata.headers; the reply's
  // own headers carry none. The reset is an epoch in milliseconds, 30 s after now.
  const auto reset_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            classify_now.time_since_epoch() + std::chrono::seconds{30})
                            .count();
  const std::string body =
      R"({"error":{"message":"Rate limit exceeded: free-models-per-min.","code":429,"metadata":{"headers":{)"
      R"("X-RateLimit-Limit":"20","X-RateLimit-Remaining":"0","X-RateLimit-Reset":")" +
      std::to_string(reset_ms) + R"("}}}})";

  const gp::ErrorBody decoded = gd::decode_error(gp::Dialect::openrouter, body);
  REQUIRE(decoded.meta_headers.size() == 3);
  CHECK(decoded.meta_headers[0].first == "X-RateLimit-Limit");
  CHECK(decoded.meta_headers[2].first == "X-RateLimit-Reset");

  const std::vector<gp::Header> none;
  const gp::Verdict v = gd::classify("openrouter", 429, gp::HeaderView{none}, body, classify_now);
  CHECK(gp::is_rate_limit(v.kind));
  CHECK(v.retryable);
  REQUIRE(v.wait);
  CHECK(*v.wait == std::chrono::seconds{30});
}
