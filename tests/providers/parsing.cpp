#include <governed/providers/messages.hpp>

#include <governed/providers/headers.hpp>
#include <governed/providers/redact.hpp>
#include <governed/providers/wait.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace gp = governed::providers;
using namespace std::chrono_literals;
using governed::Duration;
using governed::WallTime;

namespace {
WallTime at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return WallTime{date::sys_days{date::year{y} / mo / d}.time_since_epoch()} + std::chrono::hours{h} +
         std::chrono::minutes{mi} + std::chrono::seconds{s};
}
}  // namespace

TEST_CASE("waits written in messages", "[providers][wait]") {
  CHECK(gp::find_wait_in_text("Please try again in 22m46.848s. Visit") == Duration{1'366'848ms});
  CHECK(gp::find_wait_in_text("Please retry after 6 seconds.") == Duration{6s});
  CHECK(gp::find_wait_in_text("Monthly limit reached. Resets in 16 days") == Duration{16 * 24h});
  CHECK(gp::find_wait_in_text("try again in 644ms.") == Duration{644ms});
  CHECK(gp::find_wait_in_text("Try again in 1 minute and 30 seconds") == Duration{90s});
  CHECK(gp::find_wait_in_text("Please retry in 26.7s") == Duration{26700ms});
  CHECK_FALSE(gp::find_wait_in_text("Wait a bit and try again."));
  CHECK_FALSE(gp::find_wait_in_text("Please try again later."));
  CHECK_FALSE(gp::find_wait_in_text("Resets in 400 days"));  // absurd: not a wait to sleep on
}

TEST_CASE("limit headers of every family become one snapshot", "[providers][headers]") {
  const WallTime now = at(2024, 3, 26, 19, 59, 59);
  SECTION("OpenAI and Groq: Go durations; Groq's request headers count a day") {
    std::vector<gp::Header> h{{"x-ratelimit-limit-requests", "14400"}, {"x-ratelimit-remaining-requests", "14370"},
                              {"x-ratelimit-reset-requests", "2m59.56s"}, {"X-RateLimit-Limit-Tokens", "18000"},
                              {"x-ratelimit-remaining-tokens", "17997"}, {"x-ratelimit-reset-tokens", "7.66s"}};
    const auto s = gp::read_limit_headers(h, now, gp::HeaderWindows{24h, 1min});
    CHECK(s.requests.limit == 14400);
    CHECK(s.requests.remaining == 14370);
    CHECK(s.requests.reset_after == Duration{179560ms});
    CHECK(s.requests.window == Duration{24h});
    CHECK(s.tokens.limit == 18000);
    CHECK(s.tokens.reset_after == Duration{7660ms});
    CHECK(s.tokens.window == Duration{1min});
    CHECK(s.input_tokens.empty());
  }
  SECTION("Anthropic: RFC 3339 resets read against the reply's date") {
    std::vector<gp::Header> h{{"anthropic-ratelimit-input-tokens-limit", "40000"},
                              {"anthropic-ratelimit-input-tokens-remaining", "39000"},
                              {"anthropic-ratelimit-input-tokens-reset", "2024-03-26T20:00:30Z"},
                              {"date", "Tue, 26 Mar 2024 20:00:00 GMT"}};
    const auto s = gp::read_limit_headers(h, now);
    CHECK(s.input_tokens.limit == 40000);
    CHECK(s.input_tokens.remaining == 39000);
    CHECK(s.input_tokens.reset_after == Duration{30s});
  }
  SECTION("Mistral names its windows; the shortest wins") {
    std::vector<gp::Header> h{{"x-ratelimit-limit-tokens-month", "1000000000"},
                              {"x-ratelimit-limit-tokens-minute", "5000000"},
                              {"x-ratelimit-remaining-tokens-minute", "4999911"},
                              {"x-ratelimit-limit-req-minute", "720"}, {"x-ratelimit-remaining-req-minute", "717"},
                              {"x-ratelimit-tokens-query-cost", "52"}};
    const auto s = gp::read_limit_headers(h, now);
    CHECK(s.tokens.limit == 5000000);
    CHECK(s.tokens.remaining == 4999911);
    CHECK(s.tokens.window == Duration{1min});
    CHECK(s.requests.limit == 720);
    CHECK(s.requests.remaining == 717);
  }
  SECTION("Azure's -1 sentinels are not counts") {
    std::vector<gp::Header> h{{"x-ratelimit-limit-tokens", "-1"}, {"x-ratelimit-remaining-tokens", "-1"}};
    CHECK(gp::read_limit_headers(h, now).empty());
  }
  SECTION("OpenRouter: epoch-millisecond reset") {
    std::vector<gp::Header> h{{"X-RateLimit-Limit", "20"}, {"X-RateLimit-Remaining", "0"},
                              {"X-RateLimit-Reset", "1711483229000"}};  // now + 30 s
    const auto s = gp::read_limit_headers(h, now);
    CHECK(s.requests.limit == 20);
    CHECK(s.requests.remaining == 0);
    CHECK(s.requests.reset_after == Duration{30s});
  }
}

TEST_CASE("secrets never survive redaction", "[providers][redact]") {
  const std::string text =
      "key sk-proj-abcDEF1234567890abcdef and sk-ant-api03-XYZxyz0123456789 gsk_ABCDEFGHIJ0123456789 "
      "AIzaSyA1234567890abcdefghijklmnop in organization org-uOtiSEwvUnroadaOnJJquBEC / "
      "org_01kjh7p9n8f1qs6nz2bz77vy6b project proj_AbCdEf123456 Authorization: Bearer eyJhbGciOi.J9.x "
      "org 6f9f4c0a-1b2c-4d5e-8f90-a1b2c3d4e5f6 azure 0123456789abcdef0123456789abcdef";
  const std::string r = gp::redact(text);
  for (const char* secret : {"abcDEF1234567890", "XYZxyz0123456789", "ABCDEFGHIJ0123456789", "SyA1234567890",
                             "uOtiSEwvUnroadaOnJJquBEC", "01kjh7p9n8f1qs6nz2bz77vy6b", "AbCdEf123456", "eyJhbGciOi",
                             "6f9f4c0a-1b2c", "0123456789abcdef0123"})
    CHECK(r.find(secret) == std::string::npos);
  CHECK(r.find("sk-***") != std::string::npos);
  CHECK(r.find("org-***") != std::string::npos);
  CHECK(r.find("Bearer ***") != std::string::npos);
  // Words that merely start like a prefix stay readable.
  CHECK(gp::redact("an org-wide sk-ill setting") == "an org-wide sk-ill setting");
  // Keys without a prefix (Azure, Mistral) are removed verbatim when configured.
  const std::vector<std::string> keys{"Zq9shortish", "x"};
  CHECK(gp::redact("bad key Zq9shortish given", keys) == "bad key *** given");
}

TEST_CASE("friendly messages read naturally and carry no secret", "[providers][messages]") {
  CHECK(gp::humanize(45s) == "45 seconds");
  CHECK(gp::humanize(1s) == "1 second");
  CHECK(gp::humanize(200ms) == "1 second");
  CHECK(gp::humanize(1'366'848ms) == "22 minutes");
  CHECK(gp::humanize(3h + 10min) == "3 hours");
  CHECK(gp::humanize(16 * 24h) == "16 days");
  CHECK(gp::switching_message("groq", "llama-3.1-70b-versatile") == "Switching to GROQ llama-3.1-70b-versatile\u2026");
  CHECK(gp::rate_limited_message("groq", "llama-3.3-70b-versatile", Duration{1'366'848ms}) ==
        "Rate limit reached for GROQ (llama-3.3-70b-versatile). The provider requests waiting 22 minutes. "
        "Automatically trying alternative model/provider\u2026");
  CHECK(gp::all_rate_limited_message(Duration{22min}) ==
        "All alternative providers are rate limited. Please try again in 22 minutes.");
  gp::Verdict v;
  v.kind = gp::Kind::auth;
  v.detail = "Incorrect API key provided: sk-abcdefghijklmnopqrstuvwxyz1234";
  const auto m = gp::describe(v, "openai");
  CHECK(m.find("abcdefghijklmnop") == std::string::npos);
  CHECK(m.find("OPENAI rejected the API key") != std::string::npos);
  const std::vector<std::string> keys{"mistralkey0123"};
  CHECK(gp::rate_limited_message("mistral", "mistralkey0123", std::nullopt, keys).find("mistralkey0123") ==
        std::string::npos);
}
