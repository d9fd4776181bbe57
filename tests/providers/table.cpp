#include <governed/providers/table.hpp>

#include <governed/providers/cost.hpp>
#include <governed/providers/table_json.hpp>
#include <governed/providers/tokens.hpp>
#include <governed/providers/usage.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace gp = governed::providers;
using namespace std::chrono_literals;
using governed::WallTime;

namespace {
WallTime wall_at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0) {
  return WallTime{date::sys_days{date::year{y} / mo / d}.time_since_epoch()} + std::chrono::hours{h} +
         std::chrono::minutes{mi};
}
}  // namespace

TEST_CASE("the built-in table has every provider and the published figures", "[providers][table]") {
  const auto& t = gp::builtin_table();
  for (const char* p : {"openai", "anthropic", "gemini", "groq", "azure", "openrouter", "mistral", "deepseek",
                        "openai_compatible"})
    CHECK(t.provider(p));
  for (const auto& [p, m] : std::vector<std::pair<const char*, const char*>>{
           {"openai", "gpt-4o"}, {"openai", "gpt-4o-mini"}, {"openai", "gpt-4-turbo"}, {"openai", "gpt-3.5-turbo"},
           {"openai", "gpt-5-chat-latest"}, {"anthropic", "claude-3-5-sonnet-20241022"},
           {"anthropic", "claude-3-5-haiku-20241022"}, {"anthropic", "claude-3-haiku-20240307"},
           {"gemini", "gemini-2.5-flash-lite"}, {"gemini", "gemini-2.5-flash"}, {"groq", "llama-3.3-70b-versatile"},
           {"groq", "llama-3.1-70b-versatile"}, {"groq", "llama-3.1-8b-instant"}, {"groq", "mixtral-8x7b-32768"},
           {"groq", "gemma2-9b-it"}}) {
    INFO(p << "/" << m);
    const auto* model = t.model(p, m);
    REQUIRE(model);
    CHECK(model->context_window > 0);
    CHECK(model->price.output > 0);
    CHECK_FALSE(model->as_of.empty());
  }
  CHECK(t.model("gemini", "gemini-2.5-flash-lite")->context_window == 1'048'576);
  CHECK(t.model("openai", "gpt-4o")->price.cached_input == 1.25);
  CHECK(t.model("groq", "llama-3.1-70b-versatile")->retired);  // retired models stay, marked
  const auto* free = t.model("groq", "llama-3.3-70b-versatile")->tier("free");
  REQUIRE(free);
  CHECK(free->rpm == gp::Cap{gp::Cap::State::limited, 30});
  CHECK(free->tpd.value == 100000);
  CHECK_FALSE(t.model("openai", "gpt-4o")->tier("free")->available);
  CHECK(t.model("gemini", "gemini-2.5-flash")->tier("tier3")->rpd.state == gp::Cap::State::unlimited);

  const auto& groq = *t.provider("groq");
  CHECK(groq.fallback_models == std::vector<std::string>{"llama-3.3-70b-versatile", "llama-3.1-70b-versatile",
                                                         "llama-3.1-8b-instant", "mixtral-8x7b-32768", "gemma2-9b-it"});
  CHECK(groq.fallback_providers == std::vector<std::string>{"openai", "anthropic"});
  CHECK(t.provider("openai")->fallback_providers == std::vector<std::string>{"anthropic", "groq"});
  CHECK(t.provider("anthropic")->fallback_providers == std::vector<std::string>{"openai", "groq"});
  CHECK(t.provider("anthropic")->auth == gp::AuthStyle::x_api_key);
  CHECK(t.provider("azure")->auth == gp::AuthStyle::api_key);
  CHECK(t.provider("gemini")->auth == gp::AuthStyle::x_goog_api_key);
  CHECK(groq.windows.requests == governed::Duration{24h});
}

TEST_CASE("Gemini's daily quota resets at midnight Pacific, across daylight saving", "[providers][table]") {
  const auto& gemini = *gp::builtin_table().provider("gemini");
  // Summer (PDT, UTC-7): 2025-07-10 12:00 UTC is 05:00 local; midnight local is 07:00 UTC next day.
  CHECK(gp::next_daily_reset(gemini, wall_at(2025, 7, 10, 12)) == wall_at(2025, 7, 11, 7));
  // Winter (PST, UTC-8).
  CHECK(gp::next_daily_reset(gemini, wall_at(2025, 1, 10, 12)) == wall_at(2025, 1, 11, 8));
  // Just before midnight local.
  CHECK(gp::next_daily_reset(gemini, wall_at(2025, 1, 11, 7, 59)) == wall_at(2025, 1, 11, 8));
  CHECK_FALSE(gp::next_daily_reset(*gp::builtin_table().provider("openai"), wall_at(2025, 1, 10)));
}

TEST_CASE("overrides patch the table; bad files are refused with where and why", "[providers][table]") {
  const auto& base = gp::builtin_table();
  SECTION("a price change and a new model") {
    auto t = gp::apply_override(base, R"({"providers": {"openai": {"models": {
        "gpt-4o": {"price": {"input": 2.0}},
        "gpt-4.1": {"context_window": 1047576, "max_output_tokens": 32768, "as_of": "2025-08-15",
                    "price": {"input": 2.0, "output": 8.0}}}}}})", "over.json");
    REQUIRE(t);
    CHECK(t->model("openai", "gpt-4o")->price.input == 2.0);
    CHECK(t->model("openai", "gpt-4o")->price.output == 10.0);
    CHECK(t->model("openai", "gpt-4.1"));
    CHECK(base.model("openai", "gpt-4o")->price.input == 2.5);  // the base is untouched
  }
  SECTION("syntax errors name the file and the line") {
    auto t = gp::apply_override(base, "{\n  \"providers\": {\n    \"openai\": {,}\n  }\n}", "bad.json");
    REQUIRE_FALSE(t);
    CHECK(t.error().code == governed::Errc::parse_error);
    CHECK(t.error().message.rfind("bad.json: line 3:", 0) == 0);
    auto overflow = gp::apply_override(base, "{\n\"providers\": {\"openai\": {\"as_of\": 2e999}}}", "big.json");
    REQUIRE_FALSE(overflow);
    CHECK(overflow.error().message.rfind("big.json: line 2:", 0) == 0);
  }
  SECTION("semantic errors name the JSON pointer") {
    auto check = [&](const char* json, const char* pointer) {
      auto t = gp::apply_override(base, json, "over.json");
      REQUIRE_FALSE(t);
      INFO(t.error().message);
      CHECK(t.error().code == governed::Errc::invalid_argument);
      CHECK(t.error().message.find(std::string("over.json: ") + pointer) == 0);
    };
    check(R"({"providers": {"openai": {"models": {"gpt-4o": {"price": {"input": -1}}}}}})",
          "/providers/openai/models/gpt-4o/price/input");
    check(R"({"providers": {"groq": {"colour": "red"}}})", "/providers/groq/colour");
    check(R"({"providers": {"groq": {"fallback": {"models": ["llama-3.3-70b-versatile", "llama-9"]}}}})",
          "/providers/groq/fallback/models/1");
    check(R"({"providers": {"groq": {"fallback": {"providers": ["nobody"]}}}})", "/providers/groq/fallback/providers/0");
    check(R"({"providers": {"gemini": {"daily_reset": {"rule": "midnight", "time_zone": "Mars/Olympus"}}}})",
          "/providers/gemini/daily_reset/time_zone");
    check(R"({"providers": {"openai": {"models": {"gpt-4o": {"tiers": {"tier1": {"rpm": "lots"}}}}}}})",
          "/providers/openai/models/gpt-4o/tiers/tier1/rpm");
    // Deleting a model a chain still names is caught too.
    check(R"({"providers": {"openai": {"models": {"gpt-4-turbo": null}}}})", "/providers/openai/fallback/models/2");
  }
  SECTION("files") {
    const auto dir = std::filesystem::temp_directory_path() / "governed-table-test";
    std::filesystem::create_directories(dir);
    const auto good = dir / "good.json";
    std::ofstream(good) << R"({"providers": {"groq": {"fallback": {"providers": ["anthropic"]}}}})";
    auto t = gp::load_override_file(base, good);
    REQUIRE(t);
    CHECK(t->provider("groq")->fallback_providers == std::vector<std::string>{"anthropic"});
    auto missing = gp::load_override_file(base, dir / "missing.json");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == governed::Errc::io_error);
    std::filesystem::remove_all(dir);
  }
}

TEST_CASE("token estimates: text, chat overhead, completion reservation", "[providers][tokens]") {
  const gp::EstimateParams p{4.0, 3, 3};
  const std::string text(400, 'a');
  const std::vector<gp::ChatMessage> msgs{{"system", "You are terse."}, {"user", text}};
  const auto e = gp::estimate_request(p, msgs, 256, 2);
  // 3 reply + 2 × 3 framing + ceil(14/4)=4 + ceil(6/4)=2 (system) + 100 + 1 (user)
  CHECK(e.prompt == 3 + 6 + 4 + 2 + 100 + 1);
  CHECK(e.completion == 512);
  // Non-ASCII text counts a token per character, not per byte.
  CHECK(gp::text_tokens("\xe4\xbd\xa0\xe5\xa5\xbd", 4.0) == 2.0);
}

TEST_CASE("estimator error against OpenAI's tokenizers on a sample", "[providers][tokens]") {
  // Ground truth from gpt-tokenizer (data/make_token_sample.mjs): prose, code, JSON error
  // bodies and six languages.
  std::ifstream in(std::filesystem::path(__FILE__).parent_path() / "data" / "token_sample.jsonl");
  REQUIRE(in);
  const auto& t = gp::builtin_table();
  struct Model {
    const char* name;
    const char* truth;
    gp::EstimateParams params;
    double abs_error = 0;
    std::vector<double> ratios;
    gp::Calibration cal{};
  };
  Model models[] = {{"gpt-4o", "o200k", t.model("openai", "gpt-4o")->estimate, 0, {}, gp::Calibration{}},
                    {"gpt-3.5-turbo", "cl100k", t.model("openai", "gpt-3.5-turbo")->estimate, 0, {}, gp::Calibration{}}};
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    const std::string text = j.at("text");
    ++n;
    for (auto& m : models) {
      const double actual = j.at(m.truth).get<double>();
      const auto est = static_cast<std::int64_t>(std::ceil(gp::text_tokens(text, m.params.letters_per_token)));
      m.abs_error += std::abs(actual - static_cast<double>(est)) / actual;
      m.ratios.push_back(actual / static_cast<double>(est));
      m.cal.observe(m.name, est, static_cast<std::int64_t>(actual));
    }
  }
  REQUIRE(n >= 50);
  for (auto& m : models) {
    const double mae = m.abs_error / static_cast<double>(n);
    const auto under = std::count_if(m.ratios.begin(), m.ratios.end(), [&](double r) { return r > 1.0; });
    const auto under_calibrated = std::count_if(m.ratios.begin(), m.ratios.end(),
                                                [&](double r) { return r > m.cal.factor(m.name) + 1e-9; });
    WARN(m.name << " (" << m.truth << "): mean absolute error " << 100 * mae << " %, low on " << under << "/" << n
                << " samples; calibrated (x" << m.cal.factor(m.name) << ") low on " << under_calibrated << "/" << n);
    CHECK(mae < 0.15);
    // The calibrated estimate is low on at most about a tenth of the sample (the last 128
    // replies decide the factor; the sample is smaller, so all of it counts).
    CHECK(static_cast<double>(under_calibrated) <= 0.12 * static_cast<double>(n));
  }
}

TEST_CASE("calibration tracks the 90th percentile, not the mean", "[providers][tokens]") {
  gp::Calibration cal;
  CHECK(cal.factor("gpt-4o") == 1.0);
  // Nine replies at 1.0× the estimate and one at 1.5×, ten times over: the mean is 1.05,
  // the 90th percentile 1.0..1.5; an upper quantile covers all but the top decile.
  for (int round = 0; round < 10; ++round)
    for (int i = 0; i < 10; ++i) cal.observe("gpt-4o", 1000, i == 9 ? 1500 : 1000 + 20 * i);
  CHECK(cal.factor("gpt-4o") >= 1.16);
  CHECK(cal.factor("gpt-4o") < 1.5);
  CHECK(cal.adjust("gpt-4o", 1000) >= 1160);
  // Few samples: the worst ratio seen, never below 1.
  cal.observe("claude", 100, 130);
  CHECK(cal.factor("claude") == Approx(1.3));
  cal.observe("gemini", 100, 50);
  CHECK(cal.factor("gemini") == 1.0);
}

TEST_CASE("a model's calibration forgets replies older than its window", "[providers][tokens]") {
  gp::ModelCalibration cal{{.quantile = 0.9, .window = 4, .min_samples = 1}};
  for (int i = 0; i < 4; ++i) cal.observe(100, 300);
  CHECK(cal.factor() == Approx(3.0));
  // Four replies at 1.5x push the four at 3x out of the window.
  for (int i = 0; i < 4; ++i) CHECK(cal.try_observe(100, 150));
  CHECK(cal.samples() == 4);
  CHECK(cal.factor() == Approx(1.5));
  CHECK(cal.adjust(1000) == 1500);
  // Nothing to learn from an empty estimate or a negative count.
  cal.observe(0, 500);
  cal.observe(100, -1);
  CHECK(cal.factor() == Approx(1.5));
}

TEST_CASE("calibration is shared between threads", "[providers][tokens][concurrency]") {
  gp::Calibration cal;
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        cal.observe("m", 100, 110);
        (void)cal.adjust("m", 100);
      }
    });
  for (auto& t : ts) t.join();
  CHECK(cal.factor("m") == Approx(1.1));
}

TEST_CASE("cost from prices, and totals per model, provider, task, day, month", "[providers][cost]") {
  const auto& t = gp::builtin_table();
  const auto c = gp::cost_of(t.model("openai", "gpt-4o")->price, gp::Usage{1'000'000, 400'000, 0, 100'000, 0});
  CHECK(c.input_cost == Approx(600'000 * 2.5e-6 + 400'000 * 1.25e-6));
  CHECK(c.output_cost == Approx(1.0));
  CHECK(c.total_cost == Approx(c.input_cost + c.output_cost));
  CHECK(c.currency == "USD");
  // Anthropic cache writes cost more than input.
  const auto a = gp::cost_of(t.model("anthropic", "claude-3-5-haiku-20241022")->price, gp::Usage{1'000'000, 0, 1'000'000, 0, 0});
  CHECK(a.input_cost == Approx(1.0));
  CHECK(gp::estimated_cost(t.model("groq", "llama-3.1-8b-instant")->price, {1'000'000, 1'000'000}).total_cost ==
        Approx(0.13));

  gp::CostLedger ledger;
  ledger.record("openai", "gpt-4o", "task-1", c, wall_at(2025, 1, 31, 23));
  ledger.record("openai", "gpt-4o-mini", "task-1", c, wall_at(2025, 2, 1, 1));
  ledger.record("groq", "gemma2-9b-it", "task-2", c, wall_at(2025, 2, 1, 2));
  CHECK(ledger.model("openai", "gpt-4o").total_cost == Approx(c.total_cost));
  CHECK(ledger.provider("openai").total_cost == Approx(2 * c.total_cost));
  CHECK(ledger.task("task-1").total_cost == Approx(2 * c.total_cost));
  CHECK(ledger.day(wall_at(2025, 2, 1, 12)).total_cost == Approx(2 * c.total_cost));
  CHECK(ledger.month(wall_at(2025, 1, 2)).total_cost == Approx(c.total_cost));
  CHECK(ledger.total().total_cost == Approx(3 * c.total_cost));
  CHECK(ledger.task("none").total_cost == 0);
}

TEST_CASE("a limit of 0 in an override is refused; \"unlimited\" says no limit", "[providers][table]") {
  const auto& base = gp::builtin_table();
  for (const char* field : {"rpm", "tpm", "rpd", "tpd", "itpm", "otpm"}) {
    INFO(field);
    const auto tier = nlohmann::json{{field, 0}};
    const auto doc = nlohmann::json{{"providers", {{"groq", {{"models", {{"llama-3.1-8b-instant", {{"tiers", {{"free", tier}}}}}}}}}}}};
    auto zero = gp::apply_override(base, doc.dump(), "over.json");
    REQUIRE_FALSE(zero);
    CHECK(zero.error().message ==
          fmt::format("over.json: /providers/groq/models/llama-3.1-8b-instant/tiers/free/{}: must be a positive integer, "
                      "\"unlimited\" or \"unavailable\"",
                      field));
  }
  auto unlimited = gp::apply_override(
      base, R"({"providers": {"groq": {"models": {"llama-3.1-8b-instant": {"tiers": {"free": {"tpd": "unlimited"}}}}}}})",
      "over.json");
  REQUIRE(unlimited);
  CHECK(unlimited->model("groq", "llama-3.1-8b-instant")->tier("free")->tpd.state == gp::Cap::State::unlimited);
}

TEST_CASE("an override nested past the limit is refused before it is parsed", "[providers][table]") {
  const auto& base = gp::builtin_table();
  auto deep = gp::apply_override(base, std::string(100000, '['), "deep.json");
  REQUIRE_FALSE(deep);
  CHECK(deep.error().code == governed::Errc::parse_error);
  CHECK(deep.error().message == "deep.json nests deeper than the limit of 32 levels");
  // Brackets inside strings and comments do not count.
  auto quoted = gp::apply_override(base, "// [[[[\n{\"providers\": {\"groq\": {\"note\": \"" + std::string(100, '[') + "\"}}}",
                                   "quoted.json");
  CHECK(quoted);
  auto large = gp::apply_override(base, R"({"providers": {}})", "large.json", governed::JsonLimits{.max_bytes = 8});
  REQUIRE_FALSE(large);
  CHECK(large.error().message == "large.json is 17 bytes, more than the limit of 8");
}

TEST_CASE("load_override_file reads a regular file only, and refuses a device, a FIFO or a large file at once",
          "[providers][table]") {
  const auto& base = gp::builtin_table();
  std::string pattern = (std::filesystem::temp_directory_path() / "governed-override-XXXXXX").string();
  const std::filesystem::path dir = ::mkdtemp(pattern.data());
  auto zero = gp::load_override_file(base, "/dev/zero");
  REQUIRE_FALSE(zero);
  CHECK(zero.error().message == "cannot read /dev/zero: not a regular file");
  const auto fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto pipe = gp::load_override_file(base, fifo);
  REQUIRE_FALSE(pipe);
  CHECK(pipe.error().code == governed::Errc::io_error);
  const auto big = dir / "big.json";
  std::ofstream(big) << R"({"providers": {"groq": {"note": ")" << std::string(100, 'x') << R"("}}})";
  auto large = gp::load_override_file(base, big, governed::JsonLimits{.max_bytes = 64});
  REQUIRE_FALSE(large);
  CHECK(large.error().message == "cannot read " + big.string() + ": larger than the limit of 64 bytes");
  CHECK(gp::load_override_file(base, big));  // within the default limit
  std::filesystem::remove_all(dir);
}

TEST_CASE("each provider's tiers are the names its models list; any other name is refused with them",
          "[providers][table]") {
  const auto& t = gp::builtin_table();
  CHECK(t.tiers_of("openai") == std::vector<std::string>{"free", "tier1", "tier2", "tier3", "tier4", "tier5"});
  CHECK(t.tiers_of("groq") == std::vector<std::string>{"free"});
  CHECK(t.tiers_of("azure").empty());
  CHECK_FALSE(gp::tier_problem(t, "openai", ""));
  CHECK_FALSE(gp::tier_problem(t, "openai", "tier3"));
  CHECK(gp::tier_problem(t, "openai", "Tier3") ==
        "is not a tier of openai in the provider table; known tiers: free, tier1, tier2, tier3, tier4, tier5");
  CHECK(gp::tier_problem(t, "groq", "tier1") == "is not a tier of groq in the provider table; known tiers: free");
  CHECK(gp::tier_problem(t, "mistral", "free"));
}

TEST_CASE("a malformed override is refused with its line and reason, never the bytes it holds", "[providers][table]") {
  const auto& base = gp::builtin_table();
  // A secret the redactor has no shape for (a password, a key without a prefix), in a string
  // the lexer stops inside: nlohmann's own text would end in "last read: '…'" with it.
  const std::map<std::string, std::string> bad{
      {"a bad escape", "{\n\"providers\": {\"openai\": {\"note\": \"correct horse battery\\q\"}}}"},
      {"a raw line break", "{\n\"providers\": {\"openai\": {\"note\": \"correct horse battery\n\"}}}"},
  };
  for (const auto& [why, text] : bad) {
    INFO(why);
    auto t = gp::apply_override(base, text, "over.json");
    REQUIRE_FALSE(t);
    INFO(t.error().message);
    CHECK(t.error().code == governed::Errc::parse_error);
    CHECK(t.error().message.rfind("over.json: line 2: invalid JSON (", 0) == 0);
    CHECK(t.error().message.find("horse") == std::string::npos);
    CHECK(t.error().message.find("last read") == std::string::npos);
  }
  CHECK(gp::apply_override(base, bad.begin()->second, "over.json").error().message ==
        "over.json: line 2: invalid JSON (forbidden character after backslash)");
}

TEST_CASE("a table written in code is checked like one read from JSON, with the field's JSON pointer",
          "[providers][table]") {
  auto refused = [](gp::TableDocument doc) {
    auto t = gp::Table::from_document(std::move(doc), "code");
    REQUIRE_FALSE(t);
    CHECK(t.error().code == governed::Errc::invalid_argument);
    return t.error().message;
  };
  auto groq_in = [](gp::TableDocument& doc) -> gp::ProviderEntry& {
    return *std::find_if(doc.providers.begin(), doc.providers.end(), [](const auto& p) { return p.name == "groq"; });
  };

  auto zero_cap = gp::builtin_table_document();
  auto& models = *groq_in(zero_cap).models;
  auto& gemma = *std::find_if(models.begin(), models.end(), [](const auto& m) { return m.name == "gemma2-9b-it"; });
  gemma.tiers->front().rpm = gp::Cap::of(0);  // 0 would read as "no limit" to the limiter
  CHECK(refused(zero_cap) == "code: /providers/groq/models/gemma2-9b-it/tiers/free/rpm: must be a positive integer, "
                             "\"unlimited\" or \"unavailable\"");

  auto bad_window = gp::builtin_table_document();
  groq_in(bad_window).requests_window = std::chrono::seconds{90};
  CHECK(refused(bad_window) == "code: /providers/groq/requests_window: must be one of second, minute, hour, day");

  auto no_zone = gp::builtin_table_document();
  groq_in(no_zone).daily_reset = gp::DailyResetEntry{gp::DailyReset::Rule::midnight};
  CHECK(refused(no_zone) == "code: /providers/groq/daily_reset/time_zone: missing");

  auto twice = gp::builtin_table_document();
  twice.providers.push_back(groq_in(twice));
  CHECK(refused(twice) == "code: /providers/groq: written twice");
}

TEST_CASE("a table written in code in any order resolves to the table ordered by name", "[providers][table]") {
  auto doc = gp::builtin_table_document();
  std::reverse(doc.providers.begin(), doc.providers.end());
  for (auto& p : doc.providers)
    if (p.models) std::reverse(p.models->begin(), p.models->end());
  auto t = gp::Table::from_document(std::move(doc), "code");
  REQUIRE(t);
  CHECK(*t == gp::builtin_table());
}
