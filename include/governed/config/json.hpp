#pragma once
/// @file
/// Configuration from a JSON file: `from_json` and `from_json_file` read a document into a
/// `Configuration` — each section by a reader of its own, an unknown field refused — and hold
/// what it set to the rules a `StateConfig` keeps (`first_problem`), each refusal naming the
/// file and the JSON pointer.

#include <governed/backoff/exponential.hpp>
#include <governed/budget/routing.hpp>
#include <governed/breaker.hpp>
#include <governed/config/configuration.hpp>
#include <governed/error.hpp>
#include <governed/file/bounded_read.hpp>
#include <governed/json_limits.hpp>
#include <governed/observe/alerts.hpp>
#include <governed/providers/redact.hpp>
#include <governed/providers/table.hpp>
#include <governed/providers/table_json.hpp>
#include <governed/result.hpp>
#include <governed/settings_check.hpp>
#include <governed/state/settings.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed {

/// The most a JSON configuration may be: a configuration of every provider, key and task
/// kind is a few kilobytes and five levels deep.
inline constexpr JsonLimits config_json_limits{std::size_t{1} << 20, 32};

/// A configuration's `routing`, `{"scraper": ["openai/gpt-4o-mini", ...], ...}`: each task
/// kind's chain of models, each written "provider/model".
inline Result<ModelRouting> model_routing_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return fail(Errc::parse_error, "model routing: must be an object of task kinds");
  ModelRouting r;
  for (const auto& [kind, chain] : j.items()) {
    if (!chain.is_array())
      return fail(Errc::parse_error, fmt::format("model routing: /{}: must be an array", kind));
    std::vector<ModelChoice> c;
    for (const auto& m : chain) {
      const std::string s = m.is_string() ? m.get<std::string>() : std::string{};
      const auto slash = s.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == s.size())
        return fail(Errc::parse_error,
                    fmt::format("model routing: /{}: each model must be a \"provider/model\" string", kind));
      c.push_back({s.substr(0, slash), s.substr(slash + 1)});
    }
    r.route(kind, std::move(c));
  }
  return r;
}

namespace detail {

/// Reads a configuration document, naming the file and the JSON pointer of the first problem.
class ConfigReader {
 public:
  explicit ConfigReader(std::string source, const Environment& env) : source_(std::move(source)), env_(env) {}

  /// Reads `doc` (within `config_json_limits`' depth). Nothing in it can throw by design; a
  /// JSON exception all the same is an error, never an escape.
  Result<Configuration> read(const nlohmann::json& doc) {
    try {
      return read_document(doc);
    } catch (const nlohmann::json::exception&) {
      return bad("", "could not be read");
    }
  }

 private:
  Result<Configuration> read_document(const nlohmann::json& doc) {
    Configuration c;
    if (!object(doc, "", {"providers", "keys", "tasks", "spend", "routing", "cache", "max_waiters", "backoff",
                          "failure_cooldown_seconds", "max_total_wait_seconds", "max_fallbacks", "calibration",
                          "breaker", "alerts", "seed", "state_file"}))
      return error();
    StateConfig& s = c.state;
    for (auto r : {read_providers(doc, s), read_keys(doc, s.keys), read_tasks(doc, s.tasks), read_spend(doc, s),
                   read_routing(doc, s), read_cache(doc, s.cache), read_scalars(doc, s), read_walk_caps(doc, s),
                   read_calibration(doc, s), read_breaker(doc, s.breaker), read_alerts(doc, s.alerts),
                   read_backoff(doc, c.backoff)})
      if (!r) return tl::unexpected(r.error());
    if (auto p = first_problem(s)) return refuse(*p, s.table);
    if (auto p = backoff_problem(c.backoff)) return bad(p->attempts ? "/backoff/attempts" : "/backoff", p->reason);
    return c;
  }

  /// "providers": {"<name>": {…}}: what each sets, in its own form; the rules come after.
  Result<void> read_providers(const nlohmann::json& doc, StateConfig& s) {
    auto it = doc.find("providers");
    if (it == doc.end()) return {};
    if (!object(*it, "/providers", {})) return error();
    for (const auto& [name, pj] : it->items()) {
      auto settings = read_provider(pj, "/providers/" + name);
      if (!settings) return tl::unexpected(settings.error());
      s.providers[name] = std::move(*settings);
    }
    return {};
  }

  Result<ProviderSettings> read_provider(const nlohmann::json& pj, const std::string& ptr) {
    if (!object(pj, ptr, {"tier", "rpm", "tpm", "rpd", "tpd", "itpm", "otpm", "max_concurrency", "stagger_seconds",
                          "headroom", "est_tokens_per_call", "base_url", "keyless"}))
      return error();
    ProviderSettings s;
    for (auto [field, target] : {std::pair{"rpm", &s.rpm}, std::pair{"tpm", &s.tpm}, std::pair{"rpd", &s.rpd},
                                 std::pair{"tpd", &s.tpd}, std::pair{"itpm", &s.itpm}, std::pair{"otpm", &s.otpm}})
      if (auto v = pj.find(field); v != pj.end()) {
        auto n = limit(*v, ptr + "/" + field);
        if (!n) return tl::unexpected(n.error());
        *target = *n;
      }
    for (auto r : {read_field(pj, ptr, "tier", &ConfigReader::text, s.tier),
                   read_field(pj, ptr, "base_url", &ConfigReader::text, s.base_url),
                   read_field(pj, ptr, "keyless", &ConfigReader::flag, s.keyless),
                   read_field(pj, ptr, "max_concurrency", &ConfigReader::count32, s.max_concurrency),
                   read_field(pj, ptr, "est_tokens_per_call", &ConfigReader::count, s.est_tokens_per_call),
                   read_field(pj, ptr, "stagger_seconds", &ConfigReader::seconds, s.stagger),
                   read_field(pj, ptr, "headroom", &ConfigReader::real, s.headroom)})
      if (!r) return tl::unexpected(r.error());
    return s;
  }

  /// Reads `field` of `obj`, when present, with `read` (a member reader: `count`, `flag` …)
  /// into `target`.
  template <class T, class Target>
  Result<void> read_field(const nlohmann::json& obj, const std::string& ptr, const char* field,
                          Result<T> (ConfigReader::*read)(const nlohmann::json&, const std::string&), Target& target) {
    auto v = obj.find(field);
    if (v == obj.end()) return {};
    auto value = (this->*read)(*v, ptr + "/" + field);
    if (!value) return tl::unexpected(value.error());
    target = std::move(*value);
    return {};
  }

  /// "keys": [{"provider", "key" or "key_env", "account", "weight"}].
  Result<void> read_keys(const nlohmann::json& doc, keys::PoolConfig& keys) {
    auto it = doc.find("keys");
    if (it == doc.end()) return {};
    if (!it->is_array()) return bad("/keys", "must be an array");
    for (std::size_t i = 0; i < it->size(); ++i) {
      auto k = read_key((*it)[i], fmt::format("/keys/{}", i));
      if (!k) return tl::unexpected(k.error());
      keys.keys.push_back(std::move(*k));
    }
    return {};
  }

  Result<keys::KeyConfig> read_key(const nlohmann::json& kj, const std::string& ptr) {
    if (!object(kj, ptr, {"provider", "key", "key_env", "account", "weight"})) return error();
    keys::KeyConfig k;
    if (!kj.contains("provider") || !kj["provider"].is_string()) return bad(ptr + "/provider", "must be a string");
    k.provider = kj["provider"].get<std::string>();
    if (kj.contains("key") == kj.contains("key_env"))
      return bad(ptr, "give exactly one of key and key_env (an environment variable holding the key)");
    key_variables_.emplace_back();
    if (kj.contains("key")) {
      if (!kj["key"].is_string()) return bad(ptr + "/key", "must be a string");
      k.key = kj["key"].get<std::string>();
    } else {
      if (!kj["key_env"].is_string() || !is_variable_name(kj["key_env"].get_ref<const std::string&>()))
        return bad(ptr + "/key_env", "must name an environment variable (letters, digits and _)");
      const auto name = kj["key_env"].get<std::string>();
      auto v = env_(name);
      if (!v || v->empty()) return bad(ptr + "/key_env", fmt::format("the variable {} is not set", name));
      k.key = *v;
      key_variables_.back() = name;
    }
    for (auto r : {read_field(kj, ptr, "account", &ConfigReader::text, k.account),
                   read_field(kj, ptr, "weight", &ConfigReader::count32, k.weight)})
      if (!r) return tl::unexpected(r.error());
    return k;
  }

  /// "tasks": {"calls": {kind: n}, "default_calls", "tokens": {kind: n}, "default_tokens"}.
  Result<void> read_tasks(const nlohmann::json& doc, TaskBudgetConfig& tasks) {
    auto it = doc.find("tasks");
    if (it == doc.end()) return {};
    if (!object(*it, "/tasks", {"calls", "default_calls", "tokens", "default_tokens"})) return error();
    for (auto [field, target] : {std::pair{"calls", &tasks.calls_by_kind}, std::pair{"tokens", &tasks.tokens_by_kind}}) {
      auto m = it->find(field);
      if (m == it->end()) continue;
      if (!m->is_object()) return bad(std::string("/tasks/") + field, "must be an object of task kinds");
      target->clear();
      for (const auto& [kind, v] : m->items()) {
        auto n = budget(v, fmt::format("/tasks/{}/{}", field, providers::detail::pointer_escape(kind)));
        if (!n) return tl::unexpected(n.error());
        (*target)[kind] = *n;
      }
    }
    for (auto r : {read_field(*it, "/tasks", "default_calls", &ConfigReader::budget, tasks.default_calls),
                   read_field(*it, "/tasks", "default_tokens", &ConfigReader::budget, tasks.default_tokens)})
      if (!r) return tl::unexpected(r.error());
    return {};
  }

  /// "spend": {"daily_usd", "monthly_usd", "alert_at": [fractions], "at_limit", "time_zone"}.
  Result<void> read_spend(const nlohmann::json& doc, StateConfig& state) {
    auto it = doc.find("spend");
    if (it == doc.end()) return {};
    if (!object(*it, "/spend", {"daily_usd", "monthly_usd", "alert_at", "at_limit", "time_zone"})) return error();
    SpendBudgetConfig s;
    for (auto [field, target] : {std::pair{"daily_usd", &s.daily_usd}, std::pair{"monthly_usd", &s.monthly_usd}})
      if (auto v = it->find(field); v != it->end()) {
        auto n = number(*v, std::string("/spend/") + field, 0, 1e12, false);
        if (!n) return tl::unexpected(n.error());
        *target = *n;
      }
    if (auto v = it->find("alert_at"); v != it->end()) {
      if (!v->is_array()) return bad("/spend/alert_at", "must be an array of fractions");
      s.alert_at.clear();
      for (std::size_t i = 0; i < v->size(); ++i) {
        auto n = number((*v)[i], fmt::format("/spend/alert_at/{}", i), 0, 1, false);
        if (!n) return tl::unexpected(n.error());
        s.alert_at.push_back(*n);
      }
    }
    if (auto v = it->find("at_limit"); v != it->end()) {
      if (*v == "refuse") s.at_limit = AtLimit::refuse;
      else if (*v == "downgrade") s.at_limit = AtLimit::downgrade;
      else return bad("/spend/at_limit", "must be \"refuse\" or \"downgrade\"");
    }
    if (auto v = it->find("time_zone"); v != it->end()) {
      if (!v->is_string()) return bad("/spend/time_zone", "must be an IANA time zone name");
      s.time_zone = v->get<std::string>();
    }
    state.spend = std::move(s);
    return {};
  }

  Result<void> read_routing(const nlohmann::json& doc, StateConfig& s) {
    auto it = doc.find("routing");
    if (it == doc.end()) return {};
    auto r = model_routing_from_json(*it);
    if (!r) return bad("/routing", r.error().message);
    s.routing = std::move(*r);
    return {};
  }

  /// "cache": {"ttl_seconds", "max_entries", "max_bytes"}.
  Result<void> read_cache(const nlohmann::json& doc, CacheConfig& cache) {
    auto it = doc.find("cache");
    if (it == doc.end()) return {};
    if (!object(*it, "/cache", {"ttl_seconds", "max_entries", "max_bytes"})) return error();
    if (auto v = it->find("ttl_seconds"); v != it->end()) {
      auto n = number(*v, "/cache/ttl_seconds", 0, 86400 * 365.0, false);
      if (!n) return tl::unexpected(n.error());
      cache.ttl = seconds_to_duration(*n);
    }
    for (auto r : {read_field(*it, "/cache", "max_entries", &ConfigReader::count, cache.max_entries),
                   read_field(*it, "/cache", "max_bytes", &ConfigReader::count, cache.max_bytes)})
      if (!r) return tl::unexpected(r.error());
    return {};
  }

  /// "max_waiters", "failure_cooldown_seconds", "seed" and "state_file" (a path, or "off").
  Result<void> read_scalars(const nlohmann::json& doc, StateConfig& s) {
    for (auto r : {read_field(doc, "", "max_waiters", &ConfigReader::count, s.max_waiters),
                   read_field(doc, "", "failure_cooldown_seconds", &ConfigReader::seconds, s.failure_cooldown),
                   read_field(doc, "", "seed", &ConfigReader::count, s.seed)})
      if (!r) return tl::unexpected(r.error());
    if (auto v = doc.find("state_file"); v != doc.end()) {
      if (!v->is_string()) return bad("/state_file", "must be a path, or \"off\"");
      if (auto why = apply_state_file(s.keys, v->get_ref<const std::string&>())) return bad("/state_file", *why);
    }
    return {};
  }

  /// "backoff": {"base_seconds", "factor", "min_seconds", "max_seconds", "attempts"}.
  Result<void> read_backoff(const nlohmann::json& doc, backoff::exponential& b) {
    auto it = doc.find("backoff");
    if (it == doc.end()) return {};
    if (!object(*it, "/backoff", {"base_seconds", "factor", "min_seconds", "max_seconds", "attempts"})) return error();
    for (auto r : {read_field(*it, "/backoff", "base_seconds", &ConfigReader::seconds, b.base),
                   read_field(*it, "/backoff", "min_seconds", &ConfigReader::seconds, b.min),
                   read_field(*it, "/backoff", "max_seconds", &ConfigReader::seconds, b.max),
                   read_field(*it, "/backoff", "attempts", &ConfigReader::count32, b.attempts)})
      if (!r) return tl::unexpected(r.error());
    if (auto v = it->find("factor"); v != it->end()) {
      auto n = number(*v, "/backoff/factor", 1, 100, false);
      if (!n) return tl::unexpected(n.error());
      b.factor = *n;
    }
    return {};
  }

  /// "max_total_wait_seconds" (the backoff's total-wait cap on one target, and the default
  /// admission patience) and "max_fallbacks" (moves to another model or provider per call).
  Result<void> read_walk_caps(const nlohmann::json& doc, StateConfig& s) {
    if (auto r = read_field(doc, "", "max_total_wait_seconds", &ConfigReader::seconds, s.max_total_wait); !r) return r;
    if (auto v = doc.find("max_fallbacks"); v != doc.end()) {
      auto n = count32(*v, "/max_fallbacks");
      if (!n) return tl::unexpected(n.error());
      s.max_fallbacks = *n;
    }
    return {};
  }

  /// The pointer of `p`'s setting in the document, for the settings a document sets by
  /// name; none for those it words its own way, or can not set.
  static std::optional<std::string> pointer_of(const SettingProblem& p) {
    switch (p.setting) {
      case Setting::tier:
      case Setting::rpm:
      case Setting::tpm:
      case Setting::rpd:
      case Setting::tpd:
      case Setting::itpm:
      case Setting::otpm:
      case Setting::max_concurrency:
      case Setting::headroom:
      case Setting::est_tokens_per_call:
      case Setting::base_url: return fmt::format("/providers/{}/{}", p.provider, field_name(p.setting));
      case Setting::stagger: return fmt::format("/providers/{}/stagger_seconds", p.provider);
      case Setting::key_weight: return fmt::format("/keys/{}/weight", p.key);
      case Setting::state_file: return "/state_file";
      case Setting::tasks: return "/tasks";
      case Setting::routing: return "/routing";
      case Setting::max_waiters: return "/max_waiters";
      case Setting::failure_cooldown: return "/failure_cooldown_seconds";
      case Setting::max_total_wait: return "/max_total_wait_seconds";
      case Setting::max_fallbacks: return "/max_fallbacks";
      case Setting::calibration_quantile: return "/calibration/quantile";
      case Setting::calibration_window: return "/calibration/window";
      case Setting::calibration_min_samples: return "/calibration/min_samples";
      case Setting::breaker: return "/breaker";
      case Setting::alerts: return "/alerts";
      default: return std::nullopt;
    }
  }

  /// A rule's refusal of what the document set, at the pointer of the setting.
  tl::unexpected<Error> refuse(const SettingProblem& p, const providers::Table& table) {
    const std::string key = fmt::format("/keys/{}", p.key);
    const auto unknown = [&] {
      return fmt::format("the provider table has no such provider; known providers: {}", provider_names(table));
    };
    switch (p.setting) {
      case Setting::provider_name: return bad("/providers/" + p.provider, unknown());
      case Setting::key_provider: return bad(key + "/provider", unknown());
      case Setting::keyless:
        return bad(key + "/provider", fmt::format("{} is keyless (/providers/{}/keyless), so it takes no key; {}",
                                                  p.provider, p.provider, p.reason));
      case Setting::key:
        if (p.key < key_variables_.size() && !key_variables_[p.key].empty())
          return bad(key + "/key_env", fmt::format("the key in {} {}", key_variables_[p.key], p.reason));
        return bad(key + "/key", fmt::format("the key {}", p.reason));
      default: break;
    }
    if (auto ptr = pointer_of(p)) return bad(*ptr, p.value_and_reason());
    return bad("", code_message(p));
  }

  /// "calibration": {"enabled", "quantile", "window", "min_samples"}, held to the ranges
  /// `validate` holds.
  Result<void> read_calibration(const nlohmann::json& doc, StateConfig& s) {
    auto it = doc.find("calibration");
    if (it == doc.end()) return {};
    if (!object(*it, "/calibration", {"enabled", "quantile", "window", "min_samples"})) return error();
    for (auto r : {read_field(*it, "/calibration", "enabled", &ConfigReader::flag, s.calibrate),
                   read_field(*it, "/calibration", "quantile", &ConfigReader::real, s.calibration.quantile),
                   read_field(*it, "/calibration", "window", &ConfigReader::count, s.calibration.window),
                   read_field(*it, "/calibration", "min_samples", &ConfigReader::count, s.calibration.min_samples)})
      if (!r) return r;
    return {};
  }

  /// "breaker": {"enabled", "failures", "window_seconds", "cool_off_seconds"}. Each value is
  /// checked by `BreakerConfig::validate` as it is set, so an error names its own pointer.
  Result<void> read_breaker(const nlohmann::json& doc, BreakerConfig& b) {
    auto it = doc.find("breaker");
    if (it == doc.end()) return {};
    if (!object(*it, "/breaker", {"enabled", "failures", "window_seconds", "cool_off_seconds"})) return error();
    const auto checked = [&](const std::string& ptr) -> Result<void> {
      if (auto r = b.validate(); !r) return bad(ptr, r.error().message);
      return {};
    };
    if (auto v = it->find("enabled"); v != it->end()) {
      auto e = flag(*v, "/breaker/enabled");
      if (!e) return tl::unexpected(e.error());
      b.enabled = *e;
    }
    if (auto v = it->find("failures"); v != it->end()) {
      auto n = count(*v, "/breaker/failures");
      if (!n) return tl::unexpected(n.error());
      b.failures = narrow(*n);
      if (auto r = checked("/breaker/failures"); !r) return r;
    }
    for (auto [field, target] : {std::pair{"window_seconds", &b.window}, std::pair{"cool_off_seconds", &b.cool_off}}) {
      if (auto v = it->find(field); v != it->end()) {
        const std::string ptr = std::string("/breaker/") + field;
        auto n = number(*v, ptr, 0, max_seconds_setting, false);
        if (!n) return tl::unexpected(n.error());
        *target = seconds_to_duration(*n);
        if (auto r = checked(ptr); !r) return r;
      }
    }
    return {};
  }

  /// "alerts": {"rate_limits": {"enabled", "above", "window_seconds"}, "error_rate":
  /// {"enabled", "above", "window_seconds", "min_calls"}, "spend_spike": {"enabled", "factor",
  /// "min_usd"}}. Each value is checked by `AlertConfig::validate` as it is set.
  Result<void> read_alerts(const nlohmann::json& doc, AlertConfig& a) {
    auto it = doc.find("alerts");
    if (it == doc.end()) return {};
    if (!object(*it, "/alerts", {"rate_limits", "error_rate", "spend_spike"})) return error();
    const auto checked = [&](const std::string& ptr) -> Result<void> {
      if (auto r = a.validate(); !r) return bad(ptr, r.error().message);
      return {};
    };
    // Reads `field` of `section` with `read` (which stores it), then validates.
    const auto each = [&](const nlohmann::json& section, const std::string& base, std::string_view field,
                          auto&& read) -> Result<void> {
      auto v = section.find(std::string(field));
      if (v == section.end()) return {};
      const std::string ptr = base + "/" + std::string(field);
      if (auto r = read(*v, ptr); !r) return r;
      return checked(ptr);
    };
    const auto enabled = [&](bool& target) {
      return [this, t = &target](const nlohmann::json& v, const std::string& ptr) -> Result<void> {
        auto e = flag(v, ptr);
        if (!e) return tl::unexpected(e.error());
        *t = *e;
        return {};
      };
    };
    const auto seconds = [&](Duration& target) {
      return [this, t = &target](const nlohmann::json& v, const std::string& ptr) -> Result<void> {
        auto n = number(v, ptr, 0, max_seconds_setting, false);
        if (!n) return tl::unexpected(n.error());
        *t = seconds_to_duration(*n);
        return {};
      };
    };
    const auto whole = [&](std::uint32_t& target) {
      return [this, t = &target](const nlohmann::json& v, const std::string& ptr) -> Result<void> {
        auto n = count(v, ptr);
        if (!n) return tl::unexpected(n.error());
        *t = narrow(*n);
        return {};
      };
    };
    const auto real = [&](double& target) {
      return [this, t = &target](const nlohmann::json& v, const std::string& ptr) -> Result<void> {
        auto n = number(v, ptr, -max_real_setting, max_real_setting, false);
        if (!n) return tl::unexpected(n.error());
        *t = *n;
        return {};
      };
    };
    if (auto s = it->find("rate_limits"); s != it->end()) {
      const std::string base = "/alerts/rate_limits";
      if (!object(*s, base, {"enabled", "above", "window_seconds"})) return error();
      if (auto r = each(*s, base, "enabled", enabled(a.rate_limits.enabled)); !r) return r;
      if (auto r = each(*s, base, "above", whole(a.rate_limits.above)); !r) return r;
      if (auto r = each(*s, base, "window_seconds", seconds(a.rate_limits.window)); !r) return r;
    }
    if (auto s = it->find("error_rate"); s != it->end()) {
      const std::string base = "/alerts/error_rate";
      if (!object(*s, base, {"enabled", "above", "window_seconds", "min_calls"})) return error();
      if (auto r = each(*s, base, "enabled", enabled(a.error_rate.enabled)); !r) return r;
      if (auto r = each(*s, base, "above", real(a.error_rate.above)); !r) return r;
      if (auto r = each(*s, base, "window_seconds", seconds(a.error_rate.window)); !r) return r;
      if (auto r = each(*s, base, "min_calls", whole(a.error_rate.min_calls)); !r) return r;
    }
    if (auto s = it->find("spend_spike"); s != it->end()) {
      const std::string base = "/alerts/spend_spike";
      if (!object(*s, base, {"enabled", "factor", "min_usd"})) return error();
      if (auto r = each(*s, base, "enabled", enabled(a.spend_spike.enabled)); !r) return r;
      if (auto r = each(*s, base, "factor", real(a.spend_spike.factor)); !r) return r;
      if (auto r = each(*s, base, "min_usd", real(a.spend_spike.min_usd)); !r) return r;
    }
    return {};
  }

  /// The most a number of seconds (of the breaker and the alerts) and any other real number
  /// can hold before a rule compares it with its real range: past these they are refused
  /// here, never overflowed on their way to nanoseconds.
  static constexpr double max_seconds_setting = 86400.0 * 366;
  static constexpr double max_real_setting = 1e12;

  static std::uint32_t narrow(std::uint64_t n) noexcept { return saturated_u32(n); }

  Result<std::string> text(const nlohmann::json& v, const std::string& ptr) {
    if (!v.is_string()) return bad(ptr, "must be a string");
    return v.get<std::string>();
  }

  /// A count for a 32-bit setting, saturated (see `saturated_u32`).
  Result<std::uint32_t> count32(const nlohmann::json& v, const std::string& ptr) {
    auto n = count(v, ptr);
    if (!n) return tl::unexpected(n.error());
    return saturated_u32(*n);
  }

  /// A number of seconds within a day: the call path's waits and spacings, read before they
  /// become nanoseconds.
  Result<Duration> seconds(const nlohmann::json& v, const std::string& ptr) {
    auto n = number(v, ptr, 0, 86400, false);
    if (!n) return tl::unexpected(n.error());
    return seconds_to_duration(*n);
  }

  /// Any real number a rule then holds to its range (a share, a quantile).
  Result<double> real(const nlohmann::json& v, const std::string& ptr) {
    return number(v, ptr, -max_real_setting, max_real_setting, false);
  }

  Result<bool> flag(const nlohmann::json& v, const std::string& ptr) {
    if (!v.is_boolean()) return bad(ptr, "must be true or false");
    return v.get<bool>();
  }

  /// An error at `ptr`. The pointer (and a nested reader's `what`) holds the document's own
  /// names (a provider, a task kind), which may be anything: control characters are shown
  /// as '?', and secret-shaped names are redacted like any other text.
  tl::unexpected<Error> bad(const std::string& ptr, std::string_view what) {
    std::string text = fmt::format("{}: {}: {}", source_, ptr.empty() ? std::string("/") : ptr.substr(0, 200), what);
    for (char& ch : text)
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F) ch = '?';
    return fail(Errc::invalid_argument, providers::redact(text));
  }
  tl::unexpected<Error> error() { return tl::unexpected(*error_); }

  bool object(const nlohmann::json& j, const std::string& ptr, std::initializer_list<std::string_view> allowed) {
    if (!j.is_object()) {
      error_ = bad(ptr, "must be an object").value();
      return false;
    }
    if (allowed.size() == 0) return true;
    for (const auto& [k, v] : j.items()) {
      bool known = false;
      for (auto a : allowed) known = known || a == k;
      if (!known) {
        error_ = bad(ptr + "/" + providers::detail::pointer_escape(k), "unknown field").value();
        return false;
      }
    }
    return true;
  }

  Result<std::uint64_t> count(const nlohmann::json& v, const std::string& ptr) {
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
      return bad(ptr, "must be a whole number, 0 or more");
    return v.get<std::uint64_t>();
  }

  /// A rate or quota limit: a positive whole number, or "unlimited" (0, "no limit", in code).
  Result<std::uint64_t> limit(const nlohmann::json& v, const std::string& ptr) {
    if (v.is_string() && v == unlimited_word) return std::uint64_t{0};
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() > 0))
      return bad(ptr, "must be a positive whole number, or \"unlimited\"");
    if (v.get<std::uint64_t>() == 0) return bad(ptr, "0 would allow no call at all; write \"unlimited\" for no limit");
    return v.get<std::uint64_t>();
  }

  /// A task budget: a whole number in [0, max_task_budget].
  Result<std::int64_t> budget(const nlohmann::json& v, const std::string& ptr) {
    auto n = count(v, ptr);
    if (!n) return tl::unexpected(n.error());
    if (*n > static_cast<std::uint64_t>(max_task_budget)) return bad(ptr, fmt::format("must be at most {}", max_task_budget));
    return static_cast<std::int64_t>(*n);
  }

  static bool is_variable_name(std::string_view n) noexcept {
    if (n.empty() || n.size() > 128 || (n.front() >= '0' && n.front() <= '9')) return false;
    for (char ch : n)
      if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
    return true;
  }

  Result<double> number(const nlohmann::json& v, const std::string& ptr, double lo, double hi, bool open) {
    if (!v.is_number()) return bad(ptr, "must be a number");
    const double d = v.get<double>();
    if (!std::isfinite(d) || d < lo || (open ? d >= hi : d > hi))
      return bad(ptr, fmt::format("must be in [{}, {}{}", lo, hi, open ? ")" : "]"));
    return d;
  }

  std::string source_;
  const Environment& env_;
  std::optional<Error> error_;
  /// The variable each key of the document was read from (`key_env`), by position; empty
  /// for a key given as it is.
  std::vector<std::string> key_variables_{};
};

}  // namespace detail

/// A configuration from JSON text (comments allowed) of at most `limits` (size, nesting);
/// `source` names it in errors.
inline Result<Configuration> from_json(std::string_view text, std::string_view source = "configuration",
                                       const Environment& env = process_environment(),
                                       const JsonLimits& limits = config_json_limits) {
  if (auto ok = check_json_limits(text, limits, source, /*comments=*/true); !ok) return tl::unexpected(ok.error());
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is the offset of the error: turn it into a line for people.
    std::size_t line = 1;
    for (std::size_t i = 0; i < text.size() && i + 1 < e.byte; ++i) line += text[i] == '\n' ? 1 : 0;
    return fail(Errc::parse_error, fmt::format("{}: line {}: not valid JSON", source, line));
  } catch (const nlohmann::json::exception&) {
    // The parser's other complaint: a number too large for any type (1e309).
    return fail(Errc::parse_error, fmt::format("{}: not valid JSON (a number out of range)", source));
  }
  return detail::ConfigReader(std::string(source), env).read(doc);
}

/// A configuration from a JSON file: a regular file of at most `limits.max_bytes` (a device,
/// a FIFO or a directory is an error, and is never waited on).
inline Result<Configuration> from_json_file(const std::filesystem::path& path,
                                            const Environment& env = process_environment(),
                                            const JsonLimits& limits = config_json_limits) {
  auto text = detail::read_bounded_file(path, limits.max_bytes);
  if (!text) return tl::unexpected(text.error());
  return from_json(*text, path.string(), env, limits);
}

}  // namespace governed
