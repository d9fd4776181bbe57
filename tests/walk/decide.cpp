// walk::decide as a table: one row per verdict and situation, the action the walk must take.
// No provider is called and no State is built: the decision is a pure function.
#include <governed/walk/decide.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

using namespace governed;
using namespace std::chrono_literals;
using providers::Kind;
using walk::Holdup;
using walk::Move;

namespace {

const Instant decide_t0 = Instant{} + 1000s;
const WallTime decide_w0 = WallTime{} + std::chrono::hours{24 * 20000};

providers::Verdict verdict_of(Kind kind, bool retryable = false, std::optional<Duration> wait = std::nullopt) {
  providers::Verdict v;
  v.kind = kind;
  v.retryable = retryable;
  v.wait = wait;
  return v;
}

providers::Provider rolling_provider() {
  providers::Provider p;
  p.name = "openai";
  return p;
}

providers::Provider per_model_provider() {
  providers::Provider p;
  p.name = "gemini";
  p.limits_per_model = true;
  return p;
}

const providers::Provider decide_rolling = rolling_provider();
const providers::Provider decide_per_model = per_model_provider();

walk::Situation situation_at(std::optional<backoff::Step> step = std::nullopt,
                             std::optional<Instant> breaker_open_until = std::nullopt, int status = 429) {
  walk::Situation s;
  s.now = decide_t0;
  s.status = status;
  s.backoff = step;
  s.breaker_open_until = breaker_open_until;
  s.last_wait = 8s;
  s.failure_cooldown = 30s;
  s.provider = &decide_rolling;
  s.wall = decide_w0;
  return s;
}

backoff::Step wait_step(Duration d) { return backoff::Step{backoff::Outcome::wait, d, false}; }
backoff::Step spent_step() { return backoff::Step{backoff::Outcome::attempts_spent, 0s, false}; }
backoff::Step over_cap_step(Duration d) { return backoff::Step{backoff::Outcome::over_cap, d, false}; }

walk::Action action(Move m) {
  walk::Action a;
  a.move = m;
  return a;
}

walk::Action with_wait(walk::Action a, Duration d) {
  a.wait = d;
  return a;
}

walk::Action limited(walk::Action a) {
  a.rate_limited = true;
  return a;
}

walk::Action cooled(Duration d, bool per_account, Holdup h, bool stated = false) {
  walk::Action a = action(Move::cool);
  a.wait = d;
  a.per_account = per_account;
  a.stated_by_provider = stated;
  a.holdup = h;
  return a;
}

walk::Action ended(Errc e) {
  walk::Action a = action(Move::end);
  a.error = e;
  return a;
}

walk::Action held(walk::Action a, Holdup h) {
  a.holdup = h;
  return a;
}

walk::Action exhausted(WallTime until, bool one_model = false) {
  walk::Action a = action(Move::exhaust_account);
  a.exhausted_until = until;
  a.one_model = one_model;
  a.rate_limited = true;
  return a;
}

walk::Action leaving(Instant until, bool rate_limited = false) {
  walk::Action a = action(Move::leave_provider);
  a.until = until;
  a.rate_limited = rate_limited;
  return a;
}

struct DecideRow {
  std::string name;
  providers::Verdict verdict;
  walk::Situation situation;
  walk::Action expected;
};

walk::Situation with_deadline(walk::Situation s, Instant d) {
  s.deadline = d;
  return s;
}

walk::Situation on(walk::Situation s, const providers::Provider& p) {
  s.provider = &p;
  return s;
}

std::vector<DecideRow> decide_rows() {
  const Holdup rl = Holdup::rate_limit, fail = Holdup::failing, unreach = Holdup::unreachable;
  const Instant trial = decide_t0 + 30s;
  const WallTime reset = decide_w0 + 5h;
  auto at_reset = [&](Kind k) {
    auto v = verdict_of(k);
    v.resets_at = reset;
    return v;
  };
  return {
      {"success settles", verdict_of(Kind::success), situation_at(), action(Move::settle)},
      // Per-minute rate limits: the backoff's step on the same target.
      {"rpm 429, the backoff waits: retry", verdict_of(Kind::rate_limit_requests, true), situation_at(wait_step(4s)),
       limited(with_wait(action(Move::retry), 4s))},
      {"tpm 429, the backoff waits the stated 20 s: retry", verdict_of(Kind::rate_limit_tokens, true, 20s),
       situation_at(wait_step(20s)), limited(with_wait(action(Move::retry), 20s))},
      {"rpm 429, the wait ends before the deadline: retry", verdict_of(Kind::rate_limit_requests, true),
       with_deadline(situation_at(wait_step(4s)), decide_t0 + 4s), limited(with_wait(action(Move::retry), 4s))},
      {"rpm 429, the wait ends past the deadline: next candidate, nothing cooled",
       verdict_of(Kind::rate_limit_requests, true), with_deadline(situation_at(wait_step(4s)), decide_t0 + 3s),
       limited(held(with_wait(action(Move::past_deadline), 4s), rl))},
      {"rpm 429, retries spent, no hint: cooled for the account at least a minute",
       verdict_of(Kind::rate_limit_unspecified, true), situation_at(spent_step()), limited(cooled(60s, true, rl))},
      {"rpm 429, retries spent after a 2 min wait: cooled as long as that wait",
       verdict_of(Kind::rate_limit_requests, true),
       [] {
         auto s = situation_at(spent_step());
         s.last_wait = 2min;
         return s;
       }(),
       limited(cooled(2min, true, rl))},
      {"rpm 429 stating 90 s, over the cap: cooled for the stated wait, said as the provider's",
       verdict_of(Kind::rate_limit_requests, true, 90s), situation_at(over_cap_step(90s)),
       limited(cooled(90s, true, rl, true))},
      {"rpm 429, the curve's wait over the cap: cooled for that wait", verdict_of(Kind::rate_limit_requests, true),
       situation_at(over_cap_step(64s)), limited(cooled(64s, true, rl))},
      {"rpm 429 stating 0 s, retries spent: cooled 1 s, not said as the provider's",
       verdict_of(Kind::rate_limit_requests, true, 0s), situation_at(spent_step()), limited(cooled(1s, true, rl))},
      {"a request larger than the limit: next candidate at once", verdict_of(Kind::rate_limit_tokens, false),
       situation_at(), limited(action(Move::next_candidate))},
      // Failures: the breaker first, then the backoff.
      {"overloaded 529, breaker closed, the backoff waits: retry", verdict_of(Kind::overloaded, true),
       situation_at(wait_step(4s), std::nullopt, 529), limited(held(with_wait(action(Move::retry), 4s), fail))},
      {"server error 500, the backoff waits: retry, not a rate limit", verdict_of(Kind::server_error, true),
       situation_at(wait_step(4s), std::nullopt, 500), held(with_wait(action(Move::retry), 4s), fail)},
      {"server error 503, retries spent: cooled for everyone for the failure cooldown",
       verdict_of(Kind::server_error, true), situation_at(spent_step(), std::nullopt, 503),
       limited(cooled(30s, false, fail))},
      {"overloaded, the wait ends past the deadline: next candidate", verdict_of(Kind::overloaded, true),
       with_deadline(situation_at(wait_step(8s), std::nullopt, 500), decide_t0 + 1s),
       held(with_wait(action(Move::past_deadline), 8s), fail)},
      {"server error 500, the breaker is open: leave the provider", verdict_of(Kind::server_error, true),
       situation_at(std::nullopt, trial, 500), leaving(trial)},
      {"overloaded 529, the breaker is open: leave the provider, a rate limit", verdict_of(Kind::overloaded, true),
       situation_at(std::nullopt, trial, 529), leaving(trial, true)},
      {"network error, retryable, the backoff waits: retry", verdict_of(Kind::network_error, true),
       situation_at(wait_step(4s), std::nullopt, 0), held(with_wait(action(Move::retry), 4s), unreach)},
      {"network error, retries spent: cooled for everyone", verdict_of(Kind::network_error, true),
       situation_at(spent_step(), std::nullopt, 0), cooled(30s, false, unreach)},
      {"network error, retryable, the breaker is open: leave the provider", verdict_of(Kind::network_error, true),
       situation_at(std::nullopt, trial, 0), leaving(trial)},
      {"network error that must not be repeated: the call ends", verdict_of(Kind::network_error, false),
       situation_at(std::nullopt, trial, 0), ended(Errc::io_error)},
      // Allowances: the account is out until the reset, another account at once.
      {"daily quota with a stated reset: exhausted until it", at_reset(Kind::quota_daily), situation_at(),
       exhausted(reset)},
      {"daily quota with a stated wait: exhausted for the wait", verdict_of(Kind::quota_daily, false, 3h),
       situation_at(), exhausted(decide_w0 + 3h)},
      {"daily quota, nothing stated, rolling reset: a day", verdict_of(Kind::quota_daily), situation_at(),
       exhausted(decide_w0 + std::chrono::hours{24})},
      {"monthly quota, nothing stated: thirty days", verdict_of(Kind::quota_monthly), situation_at(),
       exhausted(decide_w0 + std::chrono::hours{24 * 30})},
      {"billing: out until the account is topped up", verdict_of(Kind::insufficient_quota_billing, false, 1h),
       situation_at(), exhausted(keys::until_reset)},
      {"daily requests on a provider limiting per model: that model only",
       at_reset(Kind::rate_limit_requests_daily), on(situation_at(), decide_per_model), exhausted(reset, true)},
      {"daily tokens on a provider limiting per account: the whole account", at_reset(Kind::rate_limit_tokens_daily),
       situation_at(), exhausted(reset)},
      {"daily quota on a provider limiting per model: the whole account", at_reset(Kind::quota_daily),
       on(situation_at(), decide_per_model), exhausted(reset)},
      // The key, the model, the request.
      {"auth: the key is invalid, another key at once", verdict_of(Kind::auth), situation_at(),
       action(Move::invalidate_key)},
      {"permission denied: next model at once", verdict_of(Kind::permission_denied), situation_at(),
       action(Move::next_candidate)},
      {"context too long: next model at once", verdict_of(Kind::context_length_exceeded), situation_at(),
       action(Move::next_candidate)},
      {"bad request: the call ends", verdict_of(Kind::bad_request), situation_at(), ended(Errc::rejected)},
      {"content filter: the call ends", verdict_of(Kind::content_filter), situation_at(), ended(Errc::rejected)},
  };
}

std::string describe_action(const walk::Action& a) {
  return "move " + std::to_string(static_cast<int>(a.move)) + ", wait " + std::to_string(a.wait.count()) +
         " ns, until " + std::to_string(a.until.time_since_epoch().count()) + ", exhausted until " +
         std::to_string(a.exhausted_until.time_since_epoch().count()) + ", per account " +
         std::to_string(a.per_account) + ", stated " + std::to_string(a.stated_by_provider) + ", one model " +
         std::to_string(a.one_model) + ", holdup " + std::to_string(static_cast<int>(a.holdup)) + ", error " +
         std::string(to_string(a.error)) + ", rate limited " + std::to_string(a.rate_limited);
}

}  // namespace

TEST_CASE("walk::decide: every verdict kind in its situations, as a table", "[walk][decide]") {
  for (const auto& row : decide_rows()) {
    INFO(row.name);
    const walk::Action got = walk::decide(row.verdict, row.situation);
    INFO("got      " << describe_action(got));
    INFO("expected " << describe_action(row.expected));
    CHECK(got == row.expected);
  }
}

TEST_CASE("walk::decide: which verdicts ask the breaker and the backoff", "[walk][decide]") {
  const Instant open = decide_t0 + 10s;
  struct Row {
    Kind kind;
    bool retryable;
    bool breaker;
    bool backoff_when_closed;
  };
  const Row rows[] = {
      {Kind::success, false, false, false},
      {Kind::rate_limit_requests, true, false, true},
      {Kind::rate_limit_tokens, false, false, false},
      {Kind::overloaded, true, true, true},
      {Kind::server_error, false, true, true},
      {Kind::network_error, true, true, true},
      {Kind::network_error, false, false, false},
      {Kind::quota_daily, false, false, false},
      {Kind::auth, false, false, false},
      {Kind::bad_request, false, false, false},
  };
  for (const auto& r : rows) {
    INFO(to_string(r.kind) << " retryable " << r.retryable);
    const auto v = verdict_of(r.kind, r.retryable);
    CHECK(walk::asks_breaker(v) == r.breaker);
    CHECK(walk::asks_backoff(v, std::nullopt) == r.backoff_when_closed);
    // An open breaker settles a failure without a backoff step (no random draw).
    if (r.breaker) CHECK_FALSE(walk::asks_backoff(v, open));
  }
}

TEST_CASE("walk::holdup_of: rate limits, failures and unreachable providers", "[walk][decide]") {
  CHECK(walk::holdup_of(Kind::rate_limit_requests) == Holdup::rate_limit);
  CHECK(walk::holdup_of(Kind::quota_daily) == Holdup::rate_limit);
  CHECK(walk::holdup_of(Kind::overloaded) == Holdup::failing);
  CHECK(walk::holdup_of(Kind::server_error) == Holdup::failing);
  CHECK(walk::holdup_of(Kind::network_error) == Holdup::unreachable);
}
