// Token calibration on the call path: a provider that counts more prompt tokens than the
// governor estimates (a tokenizer the estimate's parameters do not fit) raises the estimates of
// later calls, so the tokens-per-minute limit holds without 429s. The simulated OpenAI reads
// its own table, where gpt-4o's tokenizer makes about three times the tokens of the governor's.
#include "world.hpp"

#include <catch2/catch.hpp>

#include <deque>
#include <string>
#include <vector>

using namespace governed;
using namespace governed::test;
using namespace std::chrono_literals;

namespace {

/// The built-in table with gpt-4o's tokenizer at 1.5 letters a token (the governor's reads 5.5).
const providers::Table& dense_tokenizer_table() {
  static const providers::Table t =
      providers::apply_override(providers::builtin_table(),
                                R"({"providers": {"openai": {"models": {"gpt-4o": {"estimate": {"letters_per_token": 1.5}}}}}})",
                                "calibration test")
          .value();
  return t;
}

/// Simulated providers that count with the dense table, OpenAI on tier 1 (30,000 TPM for gpt-4o).
void count_densely(sim::Config& c) {
  c.table = &dense_tokenizer_table();
  c.tier = "tier1";
}

/// The governor on OpenAI's tier 1 with no headroom: it plans on the whole 30,000 TPM, so only
/// a right estimate keeps it under the provider's count.
StateConfig tier1_without_headroom(bool calibrate) {
  StateConfig c;
  c.providers["openai"] = ProviderSettings{.tier = "tier1", .headroom = 0.0};
  c.calibrate = calibrate;
  return c;
}

/// A prompt of 2,400 letters: about 560 tokens to the governor, 1,730 to the dense tokenizer.
Request long_prompt() {
  std::string text;
  for (int i = 0; i < 600; ++i) text += "word ";
  return ask("openai", "gpt-4o", text);
}

/// Forwards to the simulated providers, noting the tokens the limit set still had available
/// while each attempt was under way (after its admission, before its reconciliation).
struct TokenProbe {
  World* w;
  std::vector<std::uint64_t> available_during{};

  transport::Reply send(const transport::Attempt& a) {
    available_during.push_back(available(*w));
    return w->transport->send(a);
  }

  static std::uint64_t available(World& w) {
    const auto& t = w.state->table();
    auto set = w.state->limit_set(*t.provider("openai"), *t.model("openai", "gpt-4o"), "org-openai-a");
    REQUIRE(set);
    return (*set)->available(Dimension::tokens_per_minute, w.clock.now());
  }
};

providers::ModelCalibration* gpt4o_calibration(World& w) {
  return w.state->calibration(*w.state->table().model("openai", "gpt-4o"));
}

/// The most tokens the simulator counted in any 60 s window ending at one of its requests.
std::int64_t busiest_minute(const std::vector<sim::LogEntry>& log) {
  std::int64_t most = 0;
  for (const auto& end : log) {
    std::int64_t sum = 0;
    for (const auto& e : log)
      if (e.outcome == sim::Outcome::success && e.at <= end.at && end.at - e.at < 60s) sum += e.input_tokens + e.output_tokens;
    most = std::max(most, sum);
  }
  return most;
}

}  // namespace

TEST_CASE("replies that count more prompt tokens than estimated raise the next calls' admitted tokens",
          "[governed][calibration]") {
  World w(World::default_keys(), tier1_without_headroom(true), 1, count_densely);
  auto probe = std::make_shared<TokenProbe>(TokenProbe{&w});
  Governed<TokenProbe, Clock, fallback::none> g(w.state, probe);
  REQUIRE(gpt4o_calibration(w));
  CHECK(gpt4o_calibration(w)->factor() == 1.0);

  const std::uint64_t before_first = TokenProbe::available(w);
  auto first = g.send(long_prompt());
  REQUIRE(first);
  const std::int64_t prompt_counted = first->usage.input_tokens;
  CHECK(prompt_counted > 1500);  // the dense tokenizer's count, not the estimate
  const std::uint64_t first_admitted = before_first - probe->available_during.at(0);
  CHECK(first_admitted < 700);  // ~560 prompt + 64 output: the uncorrected estimate

  // The first reply taught the model about three times the estimate.
  const double factor = gpt4o_calibration(w)->factor();
  CHECK(factor > 2.5);
  CHECK(factor < 3.5);

  // Rested again: the tokens dimension's burst (a tenth of the TPM) holds the whole call.
  w.clock.advance(60s);
  const std::uint64_t before_second = TokenProbe::available(w);
  REQUIRE(g.send(long_prompt()));
  const std::uint64_t second_admitted = before_second - probe->available_during.at(1);
  CHECK(second_admitted >= static_cast<std::uint64_t>(prompt_counted) + 64);
  CHECK(second_admitted < static_cast<std::uint64_t>(prompt_counted) + 64 + 20);
}

TEST_CASE("with calibration the tokens-per-minute limit holds against a provider that counts more",
          "[governed][calibration]") {
  World w(World::default_keys(), tier1_without_headroom(true), 1, count_densely);
  auto g = w.governed<fallback::none>();
  for (int i = 0; i < 40; ++i) REQUIRE(g.send(long_prompt()));
  const auto log = w.sim("openai").log();
  CHECK(count(log, sim::Outcome::rate_limited) == 0);
  CHECK(count(log, sim::Outcome::success) == 40);
  CHECK(busiest_minute(log) <= 30000);
}

TEST_CASE("without calibration the same calls meet the provider's tokens-per-minute 429s",
          "[governed][calibration]") {
  World w(World::default_keys(), tier1_without_headroom(false), 1, count_densely);
  CHECK_FALSE(gpt4o_calibration(w));
  auto g = w.governed<fallback::none>();
  for (int i = 0; i < 40; ++i) (void)g.send(long_prompt());
  CHECK(count(w.sim("openai").log(), sim::Outcome::rate_limited) > 0);
}

TEST_CASE("a reply counted as estimated leaves the calibration at 1", "[governed][calibration]") {
  World w(World::default_keys(), tier1_without_headroom(true), 1);
  auto g = w.governed<fallback::none>();
  for (int i = 0; i < 3; ++i) REQUIRE(g.send(long_prompt()));
  CHECK(gpt4o_calibration(w)->factor() == 1.0);
}

TEST_CASE("calibration settings out of range are refused at create", "[governed][calibration]") {
  clock::manual clock;
  const auto refused = [&](providers::CalibrationSettings s, std::string_view says) {
    StateConfig c;
    c.calibration = s;
    auto st = TestState::create(std::move(c), clock);
    REQUIRE_FALSE(st);
    CHECK(st.error().code == Errc::invalid_argument);
    CHECK_THAT(st.error().message, Catch::Contains(std::string(says)));
  };
  refused({.quantile = 0.3}, "calibration.quantile");
  refused({.window = 0}, "calibration.window");
  refused({.window = 129}, "calibration.window");
  refused({.min_samples = 0}, "calibration.min_samples");
}
