#include <governed/observe/stats.hpp>

#include <catch2/catch.hpp>

#include <governed/observe/call_log.hpp>
#include <governed/observe/export.hpp>

#include <map>
#include <sstream>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using governed::CallRecord;
using governed::Errc;
using governed::Statistics;

namespace {

CallRecord call(std::string_view provider, std::string_view model, std::string_view task, std::int64_t in,
                std::int64_t out, double cost, governed::Duration latency) {
  CallRecord r;
  r.provider = provider;
  r.model = model;
  r.task = task;
  r.usage.input_tokens = in;
  r.usage.output_tokens = out;
  r.cost_usd = cost;
  r.latency = latency;
  return r;
}

// One sample line of the exposition format, parsed back.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value;
};

// Parses `name{a="x",b="y\"z"} value` strictly: a line that is not well formed fails the test.
Sample parse_sample(const std::string& line) {
  Sample s;
  std::size_t i = 0;
  while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_' || line[i] == ':'))
    s.name += line[i++];
  REQUIRE_FALSE(s.name.empty());
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (line.at(i) != '}') {
      std::string key;
      while (line.at(i) != '=') key += line[i++];
      REQUIRE(line.at(++i) == '"');
      ++i;
      std::string value;
      while (line.at(i) != '"') {
        if (line[i] == '\\') {
          const char e = line.at(++i);
          REQUIRE((e == '\\' || e == '"' || e == 'n'));
          value += e == 'n' ? '\n' : e;
        } else {
          REQUIRE(line[i] != '\n');
          value += line[i];
        }
        ++i;
      }
      ++i;
      s.labels[key] = value;
      if (line.at(i) == ',') ++i;
    }
    ++i;
  }
  REQUIRE(line.at(i) == ' ');
  const std::string v = line.substr(i + 1);
  s.value = v == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(v);
  REQUIRE_FALSE(v.empty());
  return s;
}

struct Exposition {
  std::map<std::string, std::string> type;  // family → counter | histogram | gauge
  std::map<std::string, std::string> help;
  std::vector<Sample> samples;
};

// Reads the whole text line by line: every family has # HELP and # TYPE before its samples,
// each once; every sample belongs to a declared family.
Exposition parse(const std::string& text) {
  Exposition x;
  REQUIRE_FALSE(text.empty());
  REQUIRE(text.back() == '\n');
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    REQUIRE_FALSE(line.empty());
    if (line.rfind("# HELP ", 0) == 0) {
      const auto sp = line.find(' ', 7);
      const std::string family = line.substr(7, sp - 7);
      REQUIRE(x.help.count(family) == 0);
      x.help[family] = line.substr(sp + 1);
    } else if (line.rfind("# TYPE ", 0) == 0) {
      const auto sp = line.find(' ', 7);
      const std::string family = line.substr(7, sp - 7);
      REQUIRE(x.help.count(family) == 1);  // HELP first
      REQUIRE(x.type.count(family) == 0);
      x.type[family] = line.substr(sp + 1);
      REQUIRE((x.type[family] == "counter" || x.type[family] == "histogram" || x.type[family] == "gauge"));
    } else {
      REQUIRE(line[0] != '#');
      auto s = parse_sample(line);
      std::string family = s.name;
      for (std::string suffix : {"_bucket", "_sum", "_count"}) {
        if (family.size() > suffix.size() && family.ends_with(suffix) &&
            x.type.count(family.substr(0, family.size() - suffix.size())) &&
            x.type[family.substr(0, family.size() - suffix.size())] == "histogram")
          family = family.substr(0, family.size() - suffix.size());
      }
      INFO(line);
      REQUIRE(x.type.count(family) == 1);
      if (x.type[family] == "counter") REQUIRE(s.name.ends_with("_total"));
      x.samples.push_back(std::move(s));
    }
  }
  return x;
}

const Sample* find(const Exposition& x, std::string_view name, const std::map<std::string, std::string>& labels) {
  for (const auto& s : x.samples)
    if (s.name == name && s.labels == labels) return &s;
  return nullptr;
}

}  // namespace

TEST_CASE("a call is counted for its model, its provider and its task", "[stats]") {
  Statistics stats;
  auto a = call("openai", "gpt-4o-mini", "scraper", 800, 100, 0.00018, 1200ms);
  a.rate_limited = 2;
  a.retries = 2;
  stats.record(a);
  auto b = call("openai", "gpt-4o", "cover_letter_writer", 2000, 500, 0.01, 3s);
  b.fallbacks = 1;
  stats.record(b);
  auto c = call("openai", "gpt-4o-mini", "scraper", 0, 0, 0, 3us);
  c.cache_hit = true;
  stats.record(c);
  auto d = call("groq", "llama-3.3-70b-versatile", "", 0, 0, 0, 10ms);
  d.success = false;
  d.error = Errc::all_rate_limited;
  stats.record(d);

  const auto& mini = stats.model("openai", "gpt-4o-mini");
  CHECK(mini.requests == 2);
  CHECK(mini.cache_hits == 1);
  CHECK(mini.rate_limited == 2);
  CHECK(mini.retries == 2);
  CHECK(mini.input_tokens == 800);
  CHECK(mini.output_tokens == 100);
  CHECK(mini.cost_usd() == Approx(0.00018));
  const auto& openai = stats.provider("openai");
  CHECK(openai.requests == 3);
  CHECK(openai.fallbacks == 1);
  CHECK(openai.cost_usd() == Approx(0.01018));
  CHECK(openai.latency.count() == 3);
  CHECK(stats.task("scraper").requests == 2);
  CHECK(stats.provider("groq").failures == 1);
  int tasks = 0;
  stats.for_each(governed::Scope::task, [&](const governed::SeriesLabels&, const governed::Series&) { ++tasks; });
  CHECK(tasks == 2);  // scraper, cover_letter_writer: a call without a task has no task series
}

TEST_CASE("JSON export has every counter and the latency percentiles", "[stats][export]") {
  Statistics stats;
  for (int i = 1; i <= 100; ++i) stats.record(call("openai", "gpt-4o", "worker", 10, 5, 0.001, std::chrono::milliseconds{i * 10}));
  const auto j = governed::to_json(stats);
  REQUIRE(j["models"].size() == 1);
  const auto& m = j["models"][0];
  CHECK(m["provider"] == "openai");
  CHECK(m["model"] == "gpt-4o");
  CHECK(m["requests"] == 100);
  CHECK(m["input_tokens"] == 1000);
  CHECK(m["output_tokens"] == 500);
  CHECK(m["cost_usd"].get<double>() == Approx(0.1));
  CHECK(m["latency"]["count"] == 100);
  CHECK(m["latency"]["sum_ms"].get<double>() == Approx(50'500));
  CHECK(m["latency"]["p50_ms"].get<double>() == Approx(500).epsilon(1.0 / 64));
  CHECK(m["latency"]["p99_ms"].get<double>() == Approx(990).epsilon(1.0 / 64));
  CHECK(j["providers"][0]["provider"] == "openai");
  CHECK(j["tasks"][0]["task"] == "worker");
  // A round trip through text keeps it whole.
  CHECK(nlohmann::json::parse(j.dump()) == j);
}

TEST_CASE("the Prometheus exposition parses back line by line", "[stats][export]") {
  Statistics stats;
  stats.record(call("openai", "gpt-4o-mini", "scraper", 800, 100, 0.25, 7ms));
  stats.record(call("openai", "gpt-4o-mini", "scraper", 800, 100, 0.25, 1500ms));
  auto slow = call("anthropic", "claude-sonnet-4-5", "cover_letter_writer", 100, 100, 0.5, 200s);
  slow.rate_limited = 1;
  stats.record(slow);
  const auto x = parse(governed::to_prometheus(stats));

  CHECK(x.type.at("governed_model_requests_total") == "counter");
  CHECK(x.type.at("governed_provider_latency_seconds") == "histogram");
  CHECK(x.type.at("governed_task_cost_usd_total") == "counter");
  CHECK(x.help.at("governed_model_rate_limited_total") == "Rate-limit replies (HTTP 429 or 529) received.");
  const std::map<std::string, std::string> mini{{"provider", "openai"}, {"model", "gpt-4o-mini"}};
  CHECK(find(x, "governed_model_requests_total", mini)->value == 2);
  CHECK(find(x, "governed_model_input_tokens_total", mini)->value == 1600);
  CHECK(find(x, "governed_model_cost_usd_total", mini)->value == Approx(0.5));
  CHECK(find(x, "governed_provider_rate_limited_total", {{"provider", "anthropic"}})->value == 1);
  CHECK(find(x, "governed_task_requests_total", {{"task", "scraper"}})->value == 2);

  // The histogram: cumulative buckets in le order ending at +Inf, which equals _count.
  std::vector<std::pair<double, double>> buckets;
  for (const auto& s : x.samples) {
    if (s.name != "governed_model_latency_seconds_bucket" || s.labels.at("model") != "gpt-4o-mini") continue;
    const std::string le = s.labels.at("le");
    buckets.emplace_back(le == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(le), s.value);
  }
  REQUIRE(buckets.size() == 15);
  for (std::size_t i = 1; i < buckets.size(); ++i) {
    CHECK(buckets[i].first > buckets[i - 1].first);
    CHECK(buckets[i].second >= buckets[i - 1].second);
  }
  CHECK(buckets[0] == std::pair<double, double>{0.005, 0});
  CHECK(buckets[1] == std::pair<double, double>{0.01, 1});    // 7 ms
  CHECK(buckets[8] == std::pair<double, double>{2.5, 2});     // 1.5 s
  CHECK(buckets.back().second == 2);
  CHECK(find(x, "governed_model_latency_seconds_count", mini)->value == 2);
  CHECK(find(x, "governed_model_latency_seconds_sum", mini)->value == Approx(1.507));
  // 200 s is beyond the last bound: only +Inf has it.
  const std::map<std::string, std::string> sonnet_inf{{"provider", "anthropic"}, {"model", "claude-sonnet-4-5"}, {"le", "+Inf"}};
  const std::map<std::string, std::string> sonnet_120{{"provider", "anthropic"}, {"model", "claude-sonnet-4-5"}, {"le", "120"}};
  CHECK(find(x, "governed_model_latency_seconds_bucket", sonnet_inf)->value == 1);
  CHECK(find(x, "governed_model_latency_seconds_bucket", sonnet_120)->value == 0);
}

TEST_CASE("label values are escaped and read back as they were", "[stats][export]") {
  Statistics stats;
  const std::string odd = "say \"hi\"\\n\nnext";
  stats.record(call("custom", "m", odd, 1, 1, 0, 1ms));
  const auto text = governed::to_prometheus(stats);
  CHECK_THAT(text, Catch::Contains(R"(task="say \"hi\"\\n\nnext")"));
  const auto x = parse(text);
  CHECK(find(x, "governed_task_requests_total", {{"task", odd}})->value == 1);
}

TEST_CASE("secrets never reach a label, an export or a log line", "[stats][export][call_log]") {
  const std::string azure_key = "3f9a1c7e5b2d4a6c8e0f1a2b3c4d5e6f";
  Statistics stats({azure_key});
  auto r = call("openai", "gpt-4o", "sk-proj-abcdefghijklmnopqrstuvwx", 1, 1, 0, 1ms);
  r.success = false;
  r.error = Errc::all_rate_limited;
  const std::string message = "Rate limit reached in organization org-AbCdEf123456 for key " + azure_key;
  r.error_message = message;
  r.key_fingerprint = "fp:1a2b3c4d";
  const std::string hop_reason = "key " + azure_key + " of org-AbCdEf123456 is rate limited";
  const std::vector<governed::FallbackHop> hops{{"openai", "gpt-4o", hop_reason}};
  r.hops = hops;
  const std::vector<std::string_view> used{azure_key};
  r.keys = used;
  r.task_id = azure_key;
  stats.record(r);
  stats.record(call(azure_key, "gpt-4o", "", 1, 1, 0, 1ms));

  const std::vector<std::string> keys{azure_key};
  for (const std::string& out : {governed::to_prometheus(stats), governed::to_json(stats).dump(),
                                 governed::call_json_line(r, keys)}) {
    CHECK_THAT(out, !Catch::Contains("abcdefghijklmnopqrstuvwx"));
    CHECK_THAT(out, !Catch::Contains(azure_key));
    CHECK_THAT(out, !Catch::Contains("AbCdEf123456"));
  }
  const auto x = parse(governed::to_prometheus(stats));
  CHECK(find(x, "governed_task_requests_total", {{"task", "sk-***"}}));
  CHECK(find(x, "governed_provider_requests_total", {{"provider", "***"}}));
}

TEST_CASE("a call's JSON line carries the OpenTelemetry GenAI names and governed's own", "[call_log]") {
  auto r = call("openai", "gpt-4o-mini", "scraper", 812, 95, 0.000179, 1250ms);
  r.at = governed::WallTime{std::chrono::seconds{1735689603} + 250ms};
  r.request_provider = "openai";
  r.request_model = "gpt-4o";
  r.usage.cached_input_tokens = 512;
  r.usage.reasoning_tokens = 40;
  r.trace_id = governed::parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")->trace_id;
  r.span_id.bytes = {0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};
  r.attempts = 3;
  r.rate_limited = 1;
  r.retries = 1;
  r.fallbacks = 1;
  r.waited = 20ms;
  r.backed_off = 500ms;
  const std::vector<std::string_view> keys{"sk-…aaaaaaaaaaaa", "sk-…bbbbbbbbbbbb"};
  r.keys = keys;
  const std::vector<governed::FallbackHop> hops{{"openai", "gpt-4o", "gpt-4o is rate limited for 20 s."}};
  r.hops = hops;
  r.task_id = "run-17";
  r.budget.spent_today_usd = 1.5;
  r.budget.day_limit_usd = 10.0;
  const auto line = governed::call_json_line(r);
  CHECK(line.back() == '\n');
  CHECK(std::count(line.begin(), line.end(), '\n') == 1);
  const auto j = nlohmann::json::parse(line);
  CHECK(j["timestamp"] == "2025-01-01T00:00:03.250Z");
  CHECK(j["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(j["span_id"] == "00f067aa0ba902b7");
  CHECK(j["gen_ai.operation.name"] == "chat");
  CHECK(j["gen_ai.provider.name"] == "openai");
  CHECK(j["gen_ai.system"] == "openai");
  CHECK(j["gen_ai.request.model"] == "gpt-4o");       // what was asked for
  CHECK(j["gen_ai.response.model"] == "gpt-4o-mini");  // what answered, after a fallback
  CHECK(j["gen_ai.usage.input_tokens"] == 812);
  CHECK(j["gen_ai.usage.output_tokens"] == 95);
  CHECK(j["gen_ai.usage.cache_read.input_tokens"] == 512);
  CHECK(j["gen_ai.usage.reasoning.output_tokens"] == 40);
  CHECK_FALSE(j.contains("gen_ai.usage.cache_creation.input_tokens"));  // none reported
  CHECK_FALSE(j.contains("error.type"));
  CHECK(j["governed.provider"] == "openai");
  CHECK(j["governed.model"] == "gpt-4o-mini");
  CHECK(j["governed.task"] == "scraper");
  CHECK(j["governed.task_id"] == "run-17");
  CHECK(j["governed.success"] == true);
  CHECK(j["governed.cancelled"] == false);
  CHECK(j["governed.cost_usd"].get<double>() == Approx(0.000179));
  CHECK(j["governed.latency_ms"].get<double>() == Approx(1250));
  CHECK(j["governed.waited_ms"].get<double>() == Approx(20));
  CHECK(j["governed.backed_off_ms"].get<double>() == Approx(500));
  CHECK(j["governed.attempts"] == 3);
  CHECK(j["governed.retries"] == 1);
  CHECK(j["governed.rate_limited"] == 1);
  CHECK(j["governed.fallbacks"] == 1);
  CHECK(j["governed.keys"] == nlohmann::json::array({"sk-…aaaaaaaaaaaa", "sk-…bbbbbbbbbbbb"}));
  CHECK(j["governed.hops"] ==
        nlohmann::json::parse(R"([{"provider":"openai","model":"gpt-4o","reason":"gpt-4o is rate limited for 20 s."}])"));
  CHECK(j["governed.budget"] == nlohmann::json{{"spent_today_usd", 1.5}, {"day_limit_usd", 10.0}});
  CHECK_FALSE(j.contains("governed.error.message"));
}

TEST_CASE("a failed call's JSON line has error.type, the message and no response model", "[call_log]") {
  auto f = call("groq", "llama-3.3-70b-versatile", "", 0, 0, 0, 5ms);
  f.success = false;
  f.error = Errc::all_rate_limited;
  f.error_message = "All alternative providers are rate limited. Please try again in 22 minutes.";
  f.key_fingerprint = "gsk_…77aa00000000";
  f.task = "bad \xff utf8";
  const auto fj = nlohmann::json::parse(governed::call_json_line(f));
  CHECK(fj["governed.success"] == false);
  CHECK(fj["error.type"] == "all_rate_limited");
  CHECK(fj["governed.error.message"] == "All alternative providers are rate limited. Please try again in 22 minutes.");
  CHECK_FALSE(fj.contains("gen_ai.response.model"));  // nothing answered
  CHECK(fj["governed.model"] == "llama-3.3-70b-versatile");  // the last one tried
  CHECK(fj["governed.keys"] == nlohmann::json::array({"gsk_…77aa00000000"}));  // the last key alone
  CHECK(fj["governed.task"] == "bad \xEF\xBF\xBD utf8");
  CHECK_FALSE(fj.contains("trace_id"));  // all zero: no trace
  CHECK_FALSE(fj.contains("governed.budget"));

  auto unknown = f;
  unknown.error.reset();
  CHECK(nlohmann::json::parse(governed::call_json_line(unknown))["error.type"] == "_OTHER");
}

TEST_CASE("providers are named by the OpenTelemetry well-known values", "[call_log]") {
  CHECK(governed::otel_provider_name("openai") == "openai");
  CHECK(governed::otel_provider_name("anthropic") == "anthropic");
  CHECK(governed::otel_provider_name("gemini") == "gcp.gemini");
  CHECK(governed::otel_provider_name("groq") == "groq");
  CHECK(governed::otel_provider_name("azure") == "azure.ai.openai");
  CHECK(governed::otel_provider_name("mistral") == "mistral_ai");
  CHECK(governed::otel_provider_name("openrouter") == "openrouter");  // no well-known value
  auto r = call("gemini", "gemini-2.0-flash", "", 1, 1, 0, 1ms);
  const auto j = nlohmann::json::parse(governed::call_json_line(r));
  CHECK(j["gen_ai.provider.name"] == "gcp.gemini");
  CHECK(j["governed.provider"] == "gemini");  // the metrics' label, to join on
}

TEST_CASE("no text of a call can put a raw line feed in its line", "[call_log]") {
  auto r = call("custom\nprovider", "model\r\nx", "task\n{\"injected\":true}", 1, 1, 0, 1ms);
  r.success = false;
  r.error = Errc::rejected;
  r.error_message = "first line\nsecond line\u2028";
  const std::vector<governed::FallbackHop> hops{{"a\nb", "c", "d\n"}};
  r.hops = hops;
  const auto line = governed::call_json_line(r);
  CHECK(std::count(line.begin(), line.end(), '\n') == 1);
  CHECK(std::count(line.begin(), line.end(), '\r') == 0);
  const auto j = nlohmann::json::parse(line);
  CHECK(j["governed.task"] == "task\n{\"injected\":true}");  // kept as text, not as a field
  CHECK_FALSE(j.contains("injected"));
  CHECK(j["governed.error.message"] == "first line\nsecond line\u2028");
}

TEST_CASE("statistics count every call from many threads", "[stats][concurrency]") {
  Statistics stats;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const std::string model = "model-" + std::to_string(t % 3);
      for (int i = 0; i < 2000; ++i) stats.record(call("openai", model, "worker", 10, 1, 0.001, 1ms));
    });
  }
  for (auto& th : threads) th.join();
  CHECK(stats.provider("openai").requests == 16'000);
  CHECK(stats.provider("openai").input_tokens == 160'000);
  CHECK(stats.task("worker").cost_usd() == Approx(16.0));
  CHECK(stats.model("openai", "model-0").requests == 6000);
}
