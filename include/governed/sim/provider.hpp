#pragma once
/// @file
/// `sim::Provider`: an LLM provider in a box. It enforces RPM, TPM, RPD and TPD (and
/// Anthropic's ITPM/OTPM) per account or per key on exact sliding windows of 60 s and 24 h,
/// knows valid, exhausted, invalid and model-forbidden keys, accounts whose billing is spent
/// (by status, or by a prepaid credit charged at the table's prices) or which are
/// deactivated, injects 5xx/529 at a seeded
/// rate, models latency, and answers in the imitated provider's own dialect with its
/// rate-limit headers on every reply. It runs on whatever clock the caller passes
/// (`handle(call, now, wall)`) and knows nothing of transports: the in-process
/// `transport::simulated` and the loopback HTTP server both wrap it. A streamed call
/// (`Call::stream`) is limited and refused exactly as any call; once accepted, its answer is
/// described as pieces and a final usage (`sim::Stream`), which either wrapper delivers.
///
/// ```cpp
/// sim::Config cfg;
/// cfg.provider = "groq";
/// cfg.accounts = {{.id = "org_a", .limits = {.rpm = 30, .tpm = 12000}}};
/// cfg.keys = {{.key = "gsk_one", .account = "org_a"}, {.key = "gsk_two", .account = "org_a"}};
/// auto p = sim::Provider::create(std::move(cfg));   // Result<std::shared_ptr<Provider>>
/// sim::ProviderReply r = (*p)->handle(call, clock.now(), clock.wall_now());
/// ```
///
/// Thread-safe: one mutex serialises requests, as one provider's admission is serial per
/// account. Order of checks, as providers answer: a canned reply, the key or its account
/// (401), billing by key, account or spent credit (402/429), permission (403), the model
/// (404), injected capacity failures, scripted outages and daily exhaustions, then the limits.

#include <governed/json_limits.hpp>
#include <governed/dialect/answer_json.hpp>
#include <governed/providers/cost.hpp>
#include <governed/providers/table.hpp>
#include <governed/providers/tokens.hpp>
#include <governed/random.hpp>
#include <governed/result.hpp>
#include <governed/sim/call.hpp>
#include <governed/sim/config.hpp>
#include <governed/sim/replies.hpp>
#include <governed/sim/log.hpp>
#include <governed/sim/meter.hpp>
#include <governed/sim/script.hpp>
#include <governed/sim/stream.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace governed::sim {

class Provider {
 public:
  /// Validates `cfg`: the provider must be in the table, keys non-empty and distinct, rates
  /// within 0..1, limits non-negative.
  static Result<std::shared_ptr<Provider>> create(Config cfg) {
    const providers::Table& table = cfg.table ? *cfg.table : providers::builtin_table();
    const providers::Provider* p = table.provider(cfg.provider);
    if (!p) return fail(Errc::invalid_argument, fmt::format("sim: unknown provider \"{}\"", cfg.provider));
    auto rate_ok = [](double r) { return r >= 0.0 && r <= 1.0; };
    if (!rate_ok(cfg.failures.overload_rate) || !rate_ok(cfg.failures.server_error_rate) ||
        cfg.failures.overload_rate + cfg.failures.server_error_rate > 1.0)
      return fail(Errc::invalid_argument, "sim: failure rates must lie within 0..1 and sum to at most 1");
    if (cfg.completion_tokens < 0) return fail(Errc::invalid_argument, "sim: completion_tokens must not be negative");
    auto limits_ok = [](const Limits& l) {
      for (const auto& v : {l.rpm, l.tpm, l.rpd, l.tpd, l.itpm, l.otpm})
        if (v && *v < 0) return false;
      return true;
    };
    if (!limits_ok(cfg.limits)) return fail(Errc::invalid_argument, "sim: limits must not be negative");
    for (std::size_t i = 0; i < cfg.accounts.size(); ++i) {
      const auto& a = cfg.accounts[i];
      if (a.id.empty()) return fail(Errc::invalid_argument, "sim: an account needs an id");
      for (std::size_t j = 0; j < i; ++j)
        if (cfg.accounts[j].id == a.id)
          return fail(Errc::invalid_argument, fmt::format("sim: account {} is declared twice", a.id));
      if (a.credit_usd && !std::isfinite(*a.credit_usd))
        return fail(Errc::invalid_argument, fmt::format("sim: account {}: credit must be a finite amount", a.id));
      if (!limits_ok(a.limits)) return fail(Errc::invalid_argument, fmt::format("sim: account {}: limits must not be negative", a.id));
      for (const auto& [m, l] : a.models)
        if (!limits_ok(l)) return fail(Errc::invalid_argument, fmt::format("sim: account {}: limits must not be negative", a.id));
    }
    for (std::size_t i = 0; i < cfg.keys.size(); ++i) {
      // Errors name keys by index: the key text never appears in a message.
      if (cfg.keys[i].key.empty()) return fail(Errc::invalid_argument, fmt::format("sim: key {} is empty", i));
      for (std::size_t j = 0; j < i; ++j)
        if (cfg.keys[j].key == cfg.keys[i].key)
          return fail(Errc::invalid_argument, fmt::format("sim: keys {} and {} are the same key", j, i));
    }
    return std::shared_ptr<Provider>(new Provider(std::move(cfg), table, *p));
  }

  Provider(const Provider&) = delete;
  Provider& operator=(const Provider&) = delete;

  /// Answers one request at monotonic `now` (limits) and wall-clock `wall` (`date` and reset
  /// headers).
  ProviderReply handle(const Call& call, Instant now, WallTime wall) {
    std::lock_guard lk(m_);
    // A request arrives no earlier than one already answered: callers read the clock before
    // taking the lock, so a thread can bring an instant older than its predecessor's, and the
    // windows must not count it in the past.
    if (now < latest_) now = latest_;
    latest_ = now;
    const std::uint64_t serial = ++serial_;
    const std::optional<std::size_t> key = find_key(call.api_key);
    const std::string account = key ? accounts_of_keys_[*key] : std::string{};
    LogEntry entry{now, wall, cfg_.provider, std::string(call.model), key, account, 0, 0, 0, Outcome::success};
    entry.traceparent = std::string(call.traceparent);
    const Speaker who{provider_, call.model, account, wall, serial};

    if (auto canned = script_.take(call.model)) return scripted(std::move(*canned), call, std::move(entry));
    AccountState* acct = key ? &accounts_.at(account) : nullptr;
    if (!key || statuses_[*key] == KeyStatus::invalid || acct->status == KeyStatus::invalid)
      return finish(who, {failure(who, Failure::invalid_key), Outcome::invalid_key}, nullptr, now, std::move(entry));

    Meter& meter = meter_for(*key, call.model);
    entry.input_tokens = providers::estimate_prompt(estimate_for(call.model), call.messages);
    if (auto refused = refusal_before_limits(who, call, *key, *acct, now))
      return finish(who, std::move(refused->answer), refused->metered ? &meter : nullptr, now, std::move(entry));
    const Generation made = generation(call, entry.input_tokens);
    if (auto refused = limit_refusal(who, call, account, meter, made.charge, now))
      return finish(who, std::move(*refused), &meter, now, std::move(entry));

    meter.commit(made.charge, now);
    entry.output_tokens = made.generated;
    charge_credit(*acct, call.model, entry.input_tokens, made.generated);
    if (call.stream) return streamed(who, call, made.generated, meter, now, std::move(entry));
    ProviderReply r = success(who, cfg_.completion_text, entry.input_tokens, made.generated, call.n,
                              made.per_choice < cfg_.completion_tokens);
    ProviderReply out = finish(who, {std::move(r), Outcome::success}, &meter, now, std::move(entry));
    out.latency = cfg_.latency.of(made.generated, rng_);
    return out;
  }

  /// Scripting, for scenario tests.
  void push_reply(std::string model, ProviderReply reply) {
    std::lock_guard lk(m_);
    script_.push(std::move(model), std::move(reply));
  }
  void exhaust(std::string account, std::string model, Measure measure, Instant until) {
    std::lock_guard lk(m_);
    script_.exhaust(std::move(account), std::move(model), measure, until);
  }
  void overload(std::string model, Instant until) {
    std::lock_guard lk(m_);
    script_.overload(std::move(model), until);
  }
  /// The next stream of `model` (empty: any model) that begins breaks off after `pieces`
  /// pieces: a connection dropped mid-answer.
  void break_stream(std::string model, std::uint32_t pieces) {
    std::lock_guard lk(m_);
    script_.break_stream(std::move(model), pieces);
  }
  /// Changes a key's status (by its index in `Config::keys`); false when there is no such key.
  bool set_key_status(std::size_t index, KeyStatus s) {
    std::lock_guard lk(m_);
    if (index >= statuses_.size()) return false;
    statuses_[index] = s;
    return true;
  }
  /// Changes the status of every key of `account` (exhausted: billing errors; invalid: 401;
  /// valid: as each key's own status says); false when no key or declaration names it.
  bool set_account_status(std::string_view account, KeyStatus s) {
    std::lock_guard lk(m_);
    auto it = accounts_.find(account);
    if (it == accounts_.end()) return false;
    it->second.status = s;
    return true;
  }
  /// Sets (or, with nothing, removes) an account's prepaid credit; false for an unknown account.
  bool set_credit(std::string_view account, std::optional<double> usd) {
    std::lock_guard lk(m_);
    auto it = accounts_.find(account);
    if (it == accounts_.end() || (usd && !std::isfinite(*usd))) return false;
    it->second.credit = usd;
    return true;
  }
  /// What is left of an account's prepaid credit; nothing when it has no credit limit.
  std::optional<double> credit(std::string_view account) const {
    std::lock_guard lk(m_);
    auto it = accounts_.find(account);
    if (it == accounts_.end()) return std::nullopt;
    return it->second.credit;
  }

  void set_failures(FailureInjection f) {
    std::lock_guard lk(m_);
    failures_ = f;
  }

  /// Every request received so far, in arrival order (the latest `Config::log_capacity`).
  std::vector<LogEntry> log() const {
    std::lock_guard lk(m_);
    return {log_.begin(), log_.end()};
  }
  /// Requests received in all, including those the log no longer holds.
  std::uint64_t received() const {
    std::lock_guard lk(m_);
    return serial_;
  }
  /// Requests received that `pred` selects.
  std::size_t count(const std::function<bool(const LogEntry&)>& pred) const {
    std::lock_guard lk(m_);
    return static_cast<std::size_t>(std::count_if(log_.begin(), log_.end(), pred));
  }
  void clear_log() {
    std::lock_guard lk(m_);
    log_.clear();
  }

  /// The state of one limit of (the account of key `index`, `model`) at `now`.
  std::optional<Reading> reading(std::size_t index, std::string_view model, Measure m, Span s, Instant now) {
    std::lock_guard lk(m_);
    if (index >= cfg_.keys.size()) return std::nullopt;
    return meter_for(index, model).reading(m, s, now);
  }

  const Config& config() const noexcept { return cfg_; }
  const providers::Provider& entry() const noexcept { return provider_; }
  /// The account a key's limits count against (by index).
  const std::string& account_of(std::size_t index) const { return accounts_of_keys_.at(index); }

 private:
  struct AccountState {
    KeyStatus status = KeyStatus::valid;
    std::optional<double> credit{};
  };

  /// A reply and the outcome its request is logged with.
  struct Answer {
    ProviderReply reply;
    Outcome outcome;
  };

  /// A refusal that comes before the limits are counted; `metered`: whether the reply
  /// carries the limit readings (a model the provider does not serve has none).
  struct EarlyRefusal {
    Answer answer;
    bool metered;
  };

  /// What an accepted call generates, and what it counts against the limits.
  struct Generation {
    std::int64_t per_choice = 0;  // tokens each choice generates
    std::int64_t generated = 0;   // tokens of all choices
    Charge charge;
  };

  Provider(Config cfg, const providers::Table& table, const providers::Provider& p)
      : cfg_(std::move(cfg)), table_(table), provider_(p), rng_(cfg_.seed), failures_(cfg_.failures) {
    const bool per_key = cfg_.scope ? *cfg_.scope == LimitScope::key : (p.limits_per_key && !p.limits_per_account);
    per_model_ = cfg_.per_model.value_or(p.limits_per_model);
    for (std::size_t i = 0; i < cfg_.keys.size(); ++i) {
      const auto& k = cfg_.keys[i];
      accounts_of_keys_.push_back(k.account.empty() ? fmt::format("key-{}", i) : k.account);
      scopes_.push_back(per_key ? fmt::format("key-{}", i) : accounts_of_keys_.back());
      statuses_.push_back(k.status);
      index_.emplace(k.key, i);
    }
    for (const auto& a : cfg_.accounts) accounts_.emplace(a.id, AccountState{a.status, a.credit_usd});
    for (const auto& id : accounts_of_keys_) accounts_.try_emplace(id);
  }

  /// A canned success answering a streamed call: its body's text and usage, as pieces and a
  /// final event (a scripted break applies). Not thread-safe: the caller holds the lock.
  void stream_canned(ProviderReply& r, std::string_view model) {
    if (r.status < 200 || r.status >= 300 || r.stream) return;
    // A scripted body is the operator's text: bounded like any other before it is walked.
    const auto parsed = parse_json(r.body, JsonLimits{}, "a scripted reply");
    if (!parsed) return;
    const nlohmann::json& body = *parsed;
    Stream s{split_pieces(dialect::content_from_json(provider_.dialect, body)), std::nullopt, script_.take_break(model)};
    if (auto u = dialect::usage_from_json(body); u && u->total() > 0 && !s.broken_after) s.usage = *u;
    r.body.clear();
    r.stream = std::move(s);
  }

  /// Not thread-safe: the caller holds the lock.
  void record(LogEntry e) {
    if (cfg_.log_capacity == 0) return;
    if (log_.size() >= cfg_.log_capacity) log_.pop_front();
    log_.push_back(std::move(e));
  }

  std::optional<std::size_t> find_key(std::string_view key) const {
    auto it = index_.find(std::string(key));
    if (it == index_.end()) return std::nullopt;
    return it->second;
  }

  const providers::EstimateParams& estimate_for(std::string_view model) const {
    if (const auto* m = table_.model(cfg_.provider, model)) return m->estimate;
    return provider_.estimate;
  }

  Limits limits_for(const std::string& account, std::string_view model) const {
    const AccountSpec* spec = nullptr;
    for (const auto& a : cfg_.accounts)
      if (a.id == account) spec = &a;
    const std::string& tier = spec ? spec->tier : cfg_.tier;
    const Limits& fallback = spec ? spec->limits : cfg_.limits;
    if (spec)
      if (auto it = spec->models.find(model); it != spec->models.end()) return it->second;
    if (!tier.empty())
      if (Limits l = table_limits(table_, cfg_.provider, model, tier); !l.empty()) return l;
    return fallback;
  }

  Meter& meter_for(std::size_t key, std::string_view model) {
    std::string id = scopes_[key];
    if (per_model_) id += fmt::format("\n{}", model);
    auto it = meters_.find(id);
    if (it == meters_.end())
      it = meters_.emplace(id, std::make_unique<Meter>(limits_for(accounts_of_keys_[key], model))).first;
    return *it->second;
  }

  /// The reply as sent: the headers every reply carries (with the limit readings when
  /// `meter` is given), a refusal's fixed latency, and the request logged. Not thread-safe:
  /// the caller holds the lock.
  ProviderReply finish(const Speaker& who, Answer a, const Meter* meter, Instant now, LogEntry entry) {
    if (meter) common_headers(who, readings(*meter, now), a.reply);
    else common_headers(who, Readings{}, a.reply);
    if (a.outcome != Outcome::success) a.reply.latency = cfg_.latency.fixed;
    entry.status = a.reply.status;
    entry.outcome = a.outcome;
    record(std::move(entry));
    return std::move(a.reply);
  }

  /// A canned reply, as scripted, after the fixed latency; a streamed call gets its body as
  /// a stream. Not thread-safe: the caller holds the lock.
  ProviderReply scripted(ProviderReply canned, const Call& call, LogEntry entry) {
    canned.latency = cfg_.latency.fixed;
    if (call.stream) stream_canned(canned, call.model);
    entry.status = canned.status;
    entry.outcome = Outcome::scripted;
    record(std::move(entry));
    return canned;
  }

  /// The refusals that come before the limits, in the order providers check them: billing
  /// spent (by key, account or credit), a model the key may not use, a model the provider
  /// does not serve, an injected capacity failure, a scripted outage. Not thread-safe: the
  /// caller holds the lock.
  std::optional<EarlyRefusal> refusal_before_limits(const Speaker& who, const Call& call, std::size_t key,
                                                    const AccountState& acct, Instant now) {
    auto refused = [&](Failure f, Outcome o, bool metered) { return EarlyRefusal{{failure(who, f), o}, metered}; };
    if (statuses_[key] == KeyStatus::exhausted || acct.status == KeyStatus::exhausted || (acct.credit && *acct.credit <= 0))
      return refused(Failure::billing, Outcome::billing, true);
    const auto& forbidden = cfg_.keys[key].forbidden_models;
    if (std::find(forbidden.begin(), forbidden.end(), call.model) != forbidden.end())
      return refused(Failure::forbidden, Outcome::forbidden, true);
    if (!cfg_.models.empty() && std::find(cfg_.models.begin(), cfg_.models.end(), call.model) == cfg_.models.end())
      return refused(Failure::unknown_model, Outcome::unknown_model, false);
    const FailureInjection& f = failures_;
    if (f.overload_rate > 0 || f.server_error_rate > 0) {
      const double u = rng_.unit();
      if (u < f.overload_rate) return refused(Failure::overloaded, Outcome::overloaded, true);
      if (u < f.overload_rate + f.server_error_rate) return refused(Failure::server_error, Outcome::server_error, true);
    }
    if (script_.overloaded(call.model, now)) return refused(Failure::overloaded, Outcome::overloaded, true);
    return std::nullopt;
  }

  /// Tokens generated per choice and in all, and the charge against the limits: the prompt
  /// and what is generated, or `max_tokens` per choice for a provider that counts it.
  Generation generation(const Call& call, std::int64_t input_tokens) const {
    const std::int64_t per_choice = std::min<std::int64_t>(call.max_tokens, cfg_.completion_tokens);
    const std::int64_t choices = std::max<std::uint32_t>(call.n, 1);
    const std::int64_t generated = per_choice * choices;
    const Charge charge{input_tokens, cfg_.count_max_tokens ? std::int64_t{call.max_tokens} * choices : generated};
    return {per_choice, generated, charge};
  }

  /// A refusal by the limits: a scripted daily exhaustion of the account, else the first
  /// limit `charge` does not fit. Not thread-safe: the caller holds the lock.
  std::optional<Answer> limit_refusal(const Speaker& who, const Call& call, const std::string& account, Meter& meter,
                                      const Charge& charge, Instant now) {
    if (auto ex = script_.exhausted(account, call.model, now)) {
      const auto reading = meter.reading(ex->first, Span::day, now);
      const std::int64_t requested = ex->first == Measure::requests ? 1 : charge.tokens();
      const std::int64_t limit = reading ? std::max(reading->limit, requested) : std::max<std::int64_t>(requested, 1);
      const Refusal r{ex->first, Span::day, limit, limit, requested, ex->second - now};
      return Answer{rate_limited(who, r, cfg_.retry_after_header), Outcome::rate_limited};
    }
    if (auto refusal = meter.check(charge, now))
      return Answer{rate_limited(who, *refusal, cfg_.retry_after_header), Outcome::rate_limited};
    return std::nullopt;
  }

  /// Takes what a call used, at the table's price, from an account's prepaid credit.
  void charge_credit(AccountState& acct, std::string_view model, std::int64_t input, std::int64_t output) {
    if (!acct.credit) return;
    if (const auto* m = table_.model(cfg_.provider, model))
      *acct.credit -= providers::cost_of(m->price, providers::Usage{.input_tokens = input, .output_tokens = output}).total_cost;
  }

  /// An accepted streamed call: the answer goes out piece by piece; the usage of every choice
  /// comes in the final event. A scripted break cuts it short, after the tokens were counted
  /// and charged, as a dropped connection does: the provider generated them. Not
  /// thread-safe: the caller holds the lock.
  ProviderReply streamed(const Speaker& who, const Call& call, std::int64_t generated, const Meter& meter, Instant now,
                         LogEntry entry) {
    ProviderReply r;
    r.stream = Stream{split_pieces(cfg_.completion_text), std::nullopt, script_.take_break(call.model)};
    if (cfg_.stream_usage && !r.stream->broken_after)
      r.stream->usage = providers::Usage{.input_tokens = entry.input_tokens, .output_tokens = generated};
    const bool broken = r.stream->broken_after.has_value();
    ProviderReply out = finish(who, {std::move(r), broken ? Outcome::broken : Outcome::success}, &meter, now, std::move(entry));
    for (auto& [name, value] : out.headers)
      if (name == "content-type") value = "text/event-stream";
    out.latency = cfg_.latency.of(generated, rng_);
    return out;
  }

  static Readings readings(const Meter& m, Instant now) {
    return {m.reading(Measure::requests, Span::minute, now), m.reading(Measure::requests, Span::day, now),
            m.reading(Measure::tokens, Span::minute, now),   m.reading(Measure::tokens, Span::day, now),
            m.reading(Measure::input_tokens, Span::minute, now), m.reading(Measure::output_tokens, Span::minute, now)};
  }

  const Config cfg_;
  const providers::Table& table_;
  const providers::Provider& provider_;
  bool per_model_ = true;
  std::vector<std::string> accounts_of_keys_;
  std::vector<std::string> scopes_;
  std::vector<KeyStatus> statuses_;
  std::unordered_map<std::string, std::size_t> index_;

  mutable std::mutex m_;
  std::uint64_t serial_ = 0;
  Instant latest_{Instant::min()};
  Random rng_;
  FailureInjection failures_;
  Script script_;
  std::map<std::string, std::unique_ptr<Meter>> meters_;
  std::map<std::string, AccountState, std::less<>> accounts_;
  std::deque<LogEntry> log_;
};

}  // namespace governed::sim
