// Provider intelligence on the hot path: classifying replies, parsing a duration, estimating
// tokens, reading an image's size. Each figure is quoted against a baseline from the same run: a steady_clock read, and
// nlohmann::json::parse of the same body (what any client pays just to look at an error).

#include "ratios.hpp"

#include <governed/dialect/classify.hpp>
#include <governed/providers.hpp>
#include <governed/request.hpp>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace {

namespace gp = governed::providers;

// A typical 429: OpenAI's tokens-per-minute refusal, as Groq and OpenAI send it.
constexpr std::string_view body_429 =
    R"({"error": {"message": "Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on tokens per min (TPM): Limit 30000, Used 29937, Requested 385. Please try again in 644ms. Visit https://platform.openai.com/account/rate-limits to learn more.", "type": "tokens", "param": null, "code": "rate_limit_exceeded"}})";

const governed::WallTime bench_now{std::chrono::seconds{1'711'483'199}};

void BM_Baseline_JsonParse(benchmark::State& state) {
  for (auto _ : state) {
    auto j = nlohmann::json::parse(body_429.begin(), body_429.end(), nullptr, false);
    benchmark::DoNotOptimize(j);
  }
}
BENCHMARK(BM_Baseline_JsonParse);

void BM_Providers_Classify429(benchmark::State& state) {
  (void)gp::builtin_table();  // parsed once per process, as in use
  for (auto _ : state) {
    auto v = governed::dialect::classify("openai", 429, gp::HeaderView{}, body_429, bench_now);
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_Providers_Classify429);

// A success with the six limit headers OpenAI and Groq send on every reply; the body is
// never inspected.
void BM_Providers_ClassifySuccessHeaders(benchmark::State& state) {
  (void)gp::builtin_table();
  const std::vector<gp::Header> headers{
      {"content-type", "application/json"},          {"x-ratelimit-limit-requests", "14400"},
      {"x-ratelimit-limit-tokens", "18000"},         {"x-ratelimit-remaining-requests", "14370"},
      {"x-ratelimit-remaining-tokens", "17997"},     {"x-ratelimit-reset-requests", "2m59.56s"},
      {"x-ratelimit-reset-tokens", "7.66s"}};
  const std::string body(2000, 'x');
  for (auto _ : state) {
    auto v = governed::dialect::classify("groq", 200, gp::HeaderView{headers}, body, bench_now);
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_Providers_ClassifySuccessHeaders);

void BM_Providers_ParseDuration(benchmark::State& state) {
  std::string_view s = "2m59.56s";
  for (auto _ : state) {
    benchmark::DoNotOptimize(s);
    auto d = gp::parse_go_duration(s);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_Providers_ParseDuration);

// A 2 kB prompt (system + user message); the chars/s counter is the throughput to quote.
void BM_Providers_EstimateTokens2kB(benchmark::State& state) {
  std::string prompt;
  while (prompt.size() < 2000) prompt += "The quick brown fox jumps over the lazy dog, again and again. ";
  prompt.resize(2000);
  const std::vector<gp::ChatMessage> msgs{{"system", "You are a careful assistant."}, {"user", prompt}};
  const auto& params = gp::builtin_table().model("openai", "gpt-4o")->estimate;
  std::size_t chars = 0;
  for (const auto& m : msgs) chars += m.content.size() + m.role.size();
  for (auto _ : state) {
    auto e = gp::estimate_request(params, msgs, 512);
    benchmark::DoNotOptimize(e);
  }
  state.counters["chars/s"] =
      benchmark::Counter(static_cast<double>(chars), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Providers_EstimateTokens2kB);

// The same prompt as a Request, estimated as the walk does (its messages may carry parts and
// tool calls, and it may offer tools): a text-only call must cost what the messages alone do.
void BM_Providers_EstimateTokens2kB_Request(benchmark::State& state) {
  std::string prompt;
  while (prompt.size() < 2000) prompt += "The quick brown fox jumps over the lazy dog, again and again. ";
  prompt.resize(2000);
  governed::Request request;
  request.messages = {{"system", "You are a careful assistant."}, {"user", prompt}};
  const auto& params = gp::builtin_table().model("openai", "gpt-4o")->estimate;
  for (auto _ : state) {
    auto e = gp::estimate_prompt_parts(params, request);
    benchmark::DoNotOptimize(e);
  }
}
BENCHMARK(BM_Providers_EstimateTokens2kB_Request);

// The header of a camera JPEG: JFIF, an 8 KB EXIF block, an ICC profile, two quantisation
// tables, then the frame header; the reader walks the segments, never into them, so the
// figure is per segment and does not grow with the EXIF block.
std::string camera_jpeg_header() {
  auto segment = [](unsigned char marker, std::size_t payload) {
    std::string s{'\xFF', static_cast<char>(marker), static_cast<char>((payload + 2) >> 8),
                  static_cast<char>((payload + 2) & 0xFF)};
    return s + std::string(payload, '\x01');
  };
  std::string frame{'\xFF', '\xC0', 0, 17, 8, 0x0B, static_cast<char>(0xD0), 0x0F, static_cast<char>(0xC0), 3};
  frame += std::string(9, '\x11');
  return "\xFF\xD8" + segment(0xE0, 14) + segment(0xE1, 8000) + segment(0xE2, 600) + segment(0xDB, 65) +
         segment(0xDB, 65) + frame + segment(0xC4, 400) + std::string(1000, '\x55');
}

void BM_Providers_ImageSize_Jpeg(benchmark::State& state) {
  const std::string bytes = camera_jpeg_header();
  if (gp::image_size(bytes) != gp::ImageSize{4032, 3024}) state.SkipWithError("the sample's size was not read");
  for (auto _ : state) {
    std::string_view b = bytes;
    benchmark::DoNotOptimize(b);
    auto size = gp::image_size(b);
    benchmark::DoNotOptimize(size);
  }
}
BENCHMARK(BM_Providers_ImageSize_Jpeg);

}  // namespace

GOVERNED_RATIO("image size of a camera JPEG / clock read", {"BM_Providers_ImageSize_Jpeg"},
               {"BM_Baseline_ClockNow/threads:1"}, 0);
GOVERNED_RATIO("classify 429 / json parse of its body", {"BM_Providers_Classify429"},
               {"BM_Baseline_JsonParse"}, 1.5);
GOVERNED_RATIO("classify success + limit headers / clock read", {"BM_Providers_ClassifySuccessHeaders"},
               {"BM_Baseline_ClockNow/threads:1"}, 20);
GOVERNED_RATIO("classify 429 / clock read", {"BM_Providers_Classify429"}, {"BM_Baseline_ClockNow/threads:1"}, 0);
GOVERNED_RATIO("parse duration / clock read", {"BM_Providers_ParseDuration"}, {"BM_Baseline_ClockNow/threads:1"}, 0);
GOVERNED_RATIO("parse duration / json parse", {"BM_Providers_ParseDuration"}, {"BM_Baseline_JsonParse"}, 0);
GOVERNED_RATIO("estimate 2 kB prompt / clock read", {"BM_Providers_EstimateTokens2kB"},
               {"BM_Baseline_ClockNow/threads:1"}, 0);
GOVERNED_RATIO("estimate 2 kB prompt / json parse", {"BM_Providers_EstimateTokens2kB"}, {"BM_Baseline_JsonParse"}, 0);
GOVERNED_RATIO("estimate 2 kB request / the same prompt as chat messages", {"BM_Providers_EstimateTokens2kB_Request"},
               {"BM_Providers_EstimateTokens2kB"}, 0);
