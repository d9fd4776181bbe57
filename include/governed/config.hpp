#pragma once
/// @file
/// Configuration from the environment and from a JSON file, into the same `StateConfig` and
/// backoff a program would build in code.
///
/// ```cpp
/// // OPENAI_MAX_CONCURRENCY=3 OPENAI_STAGGER_SECONDS=15 OPENAI_TPM_LIMIT=30000
/// // OPENAI_TPM_HEADROOM=0.15 OPENAI_EST_TOKENS_PER_RUN=7000 OPENAI_RETRY_MAX_ATTEMPTS=5
/// // OPENAI_BACKOFF_BASE_SECONDS=2 OPENAI_API_KEY=… OPENAI_API_KEY_2=…
/// auto config = governed::from_env("OPENAI");
/// if (!config) die(config.error().message);   // "OPENAI_TPM_HEADROOM: \"1.5\" is not in [0, 1)"
/// auto state = governed::State<>::create(std::move(config->state));
/// governed::Governed<governed::transport::http> g{*state, transport, config->backoff};
/// ```
///
/// A malformed value is an error naming the variable (or the file and JSON pointer); nothing
/// is half-applied. A value that could be a secret never appears in an error. What can not be
/// right is refused, never read as "no limit": a tier the table does not list, a limit of 0
/// (`unlimited` says no limit), a key the redactor could not remove, a base URL with
/// credentials (docs/configuration.md has every rule).

#include <governed/ascii.hpp>
#include <governed/backoff/exponential.hpp>
#include <governed/breaker.hpp>
#include <governed/file/bounded_read.hpp>
#include <governed/json_limits.hpp>
#include <governed/error.hpp>
#include <governed/observe/alerts.hpp>
#include <governed/result.hpp>
#include <governed/settings_check.hpp>
#include <governed/state.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace governed {

/// What configuration yields: the State's configuration and the backoff of the call sites.
struct Configuration {
  StateConfig state{};
  backoff::exponential backoff{};
};

/// Reads one environment variable; empty when unset. Tests pass their own.
using Environment = std::function<std::optional<std::string>(const std::string&)>;

inline Environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  };
}

/// The most a JSON configuration may be: a configuration of every provider, key and task
/// kind is a few kilobytes and five levels deep.
inline constexpr JsonLimits config_json_limits{std::size_t{1} << 20, 32};

/// The variable that moves or turns off the key-health file, whatever the provider prefix:
/// one State has one file. A path, or `off` (keys exhausted or invalid are remembered by
/// this process only). Unset: `keys::default_health_file()`.
inline constexpr std::string_view state_file_variable = "GOVERNED_STATE_FILE";

/// The word that says "no limit" for a rate or quota limit in the environment and in JSON, as
/// in the provider table; 0 is refused there, because to the limiter it means the same.
inline constexpr std::string_view unlimited_word = "unlimited";

namespace detail {

/// A variable's value without the spaces and tabs around it and the line end that a file or
/// `$(…)` leaves after it. A line break before the value is kept, so such a value is refused
/// rather than read as something else.
inline std::string_view trimmed(std::string_view s) noexcept {
  return ascii::trim_front(ascii::trim_back(s), ascii::is_blank);
}

/// "NAME: <value> <what>" when the value may be shown (see `shown_value`), "NAME: the value
/// <what>" otherwise; for the messages about a variable's value.
inline std::string about_value(std::string_view name, std::string_view value, std::string_view what) {
  const std::string shown = shown_value(value);
  return fmt::format("{}: {} {}", name, shown.empty() ? std::string("the value") : shown, what);
}

inline Result<std::uint64_t> env_count(const std::string& name, std::string_view text, std::uint64_t max) {
  const std::string_view t = trimmed(text);
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc{} || end != t.data() + t.size())
    return fail(Errc::invalid_argument, about_value(name, t, "is not a whole number"));
  if (v > max) return fail(Errc::invalid_argument, fmt::format("{}: {} is larger than {}", name, v, max));
  return v;
}

/// A rate or quota limit: a positive whole number, or `unlimited` (0: no limit).
inline Result<std::uint64_t> env_limit(const std::string& name, std::string_view text, std::uint64_t max) {
  const std::string_view t = trimmed(text);
  if (t == unlimited_word) return std::uint64_t{0};
  auto v = env_count(name, t, max);
  if (!v) return fail(v.error().code, v.error().message + ", nor \"unlimited\"");
  if (*v == 0)
    return fail(Errc::invalid_argument,
                fmt::format("{}: 0 would allow no call at all; write \"unlimited\" for no limit", name));
  return v;
}

inline Result<double> env_number(const std::string& name, std::string_view text, double lo, double hi, bool hi_open) {
  const std::string t(trimmed(text));
  char* end = nullptr;
  errno = 0;
  const double v = t.empty() ? NAN : std::strtod(t.c_str(), &end);
  if (t.empty() || errno != 0 || end != t.c_str() + t.size() || !std::isfinite(v))
    return fail(Errc::invalid_argument, about_value(name, t, "is not a number"));
  if (v < lo || (hi_open ? v >= hi : v > hi))
    return fail(Errc::invalid_argument,
                about_value(name, t, fmt::format("is not in [{}, {}{}", lo, hi, hi_open ? ")" : "]")));
  return v;
}

inline Duration seconds_to_duration(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

/// The table's provider names, for an error about one it does not have.
inline std::string provider_names(const providers::Table& table) {
  std::string out;
  for (const auto& p : table.providers()) out += (out.empty() ? "" : ", ") + p.name;
  return out;
}

/// Applies a key-health file setting (a path, or `off`) to `keys`; the reason when it is
/// neither. The path itself is never repeated: it is not checked beyond being one.
inline std::optional<std::string_view> apply_state_file(keys::PoolConfig& keys, std::string_view value) {
  if (value == "off") {
    keys.persist = false;
    keys.state_file.reset();
    return std::nullopt;
  }
  if (value.empty()) return "is empty; give a path, or \"off\" to keep key health in memory only";
  for (char ch : value)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F) return "holds a control character";
  keys.persist = true;
  keys.state_file = std::filesystem::path(std::string(value));
  return std::nullopt;
}

}  // namespace detail

/// Adds what the `PREFIX_*` variables say to `into`, for `provider` (default: the prefix in
/// lower case — "OPENAI" configures "openai"):
///
/// | variable | sets |
/// |---|---|
/// | `PREFIX_API_KEY`, `PREFIX_API_KEY_2` … `_32` | the provider's keys (gaps allowed; see `providers::key_problem`) |
/// | `PREFIX_ACCOUNT`, `PREFIX_ACCOUNT_2` … | the account (organisation/project) of each key |
/// | `PREFIX_TIER` | the table tier whose limits apply; a name the table does not list is an error |
/// | `PREFIX_RPM_LIMIT`, `_TPM_LIMIT`, `_RPD_LIMIT`, `_TPD_LIMIT`, `_ITPM_LIMIT`, `_OTPM_LIMIT` | limits: a positive number or `unlimited` |
/// | `PREFIX_TPM_HEADROOM` | share of each limit kept in reserve, in [0, 1) |
/// | `PREFIX_MAX_CONCURRENCY` | calls in flight |
/// | `PREFIX_STAGGER_SECONDS` | seconds between launches |
/// | `PREFIX_EST_TOKENS_PER_RUN` | floor under each call's token estimate |
/// | `PREFIX_RETRY_MAX_ATTEMPTS` | attempts per target, the first included |
/// | `PREFIX_BACKOFF_BASE_SECONDS` | the exponential curve's base |
/// | `PREFIX_BASE_URL` | another endpoint (http or https, no `user:password@`) |
/// | `PREFIX_KEYLESS` | `true`: the provider takes no key (a local server); then no `PREFIX_API_KEY*` may be set |
/// | `GOVERNED_STATE_FILE` | the key-health file, or `off` (any prefix reads it) |
///
/// All or nothing: on an error `into` is unchanged. A value that could be a secret is never
/// repeated in an error.
inline Result<void> apply_env(Configuration& into, std::string_view prefix, std::string_view provider = {},
                              const Environment& env = process_environment()) {
  if (prefix.empty()) return fail(Errc::invalid_argument, "from_env: the prefix is empty");
  Configuration c = into;
  const std::string name = provider.empty() ? ascii::lowered(prefix) : std::string(provider);
  if (!c.state.table.provider(name))
    return fail(Errc::invalid_argument,
                fmt::format("from_env: the provider table has no provider {}; known providers: {}",
                            detail::shown_value(name).empty() ? "of that name" : detail::shown_value(name),
                            detail::provider_names(c.state.table)));
  ProviderSettings& s = c.state.providers[name];
  const std::string p(prefix);
  const auto var = [&](std::string_view suffix) { return fmt::format("{}_{}", p, suffix); };

  const auto count = [&](std::string_view suffix, std::uint64_t max, auto&& set) -> Result<void> {
    const std::string n = var(suffix);
    if (auto v = env(n)) {
      auto x = detail::env_count(n, *v, max);
      if (!x) return tl::unexpected(x.error());
      set(*x);
    }
    return {};
  };
  const auto limit = [&](std::string_view suffix, std::optional<std::uint64_t>& target) -> Result<void> {
    const std::string n = var(suffix);
    if (auto v = env(n)) {
      auto x = detail::env_limit(n, *v, std::uint64_t{1} << 40);
      if (!x) return tl::unexpected(x.error());
      target = *x;
    }
    return {};
  };
  const auto number = [&](std::string_view suffix, double lo, double hi, bool open, auto&& set) -> Result<void> {
    const std::string n = var(suffix);
    if (auto v = env(n)) {
      auto x = detail::env_number(n, *v, lo, hi, open);
      if (!x) return tl::unexpected(x.error());
      set(*x);
    }
    return {};
  };

  constexpr std::uint64_t big = std::uint64_t{1} << 40;
  for (auto r : {limit("RPM_LIMIT", s.rpm), limit("TPM_LIMIT", s.tpm), limit("RPD_LIMIT", s.rpd),
                 limit("TPD_LIMIT", s.tpd), limit("ITPM_LIMIT", s.itpm), limit("OTPM_LIMIT", s.otpm),
                 count("MAX_CONCURRENCY", 100000, [&](std::uint64_t v) { s.max_concurrency = std::uint32_t(v); }),
                 count("EST_TOKENS_PER_RUN", big, [&](std::uint64_t v) { s.est_tokens_per_call = v; }),
                 count("RETRY_MAX_ATTEMPTS", 100, [&](std::uint64_t v) { c.backoff.attempts = std::uint32_t(v); }),
                 number("TPM_HEADROOM", 0.0, 1.0, true, [&](double v) { s.headroom = v; }),
                 number("STAGGER_SECONDS", 0.0, 86400.0, false,
                        [&](double v) { s.stagger = detail::seconds_to_duration(v); }),
                 number("BACKOFF_BASE_SECONDS", 0.0, 3600.0, false,
                        [&](double v) { c.backoff.base = detail::seconds_to_duration(v); })})
    if (!r) return r;
  if (auto v = env(var("RETRY_MAX_ATTEMPTS")); v && c.backoff.attempts == 0)
    return fail(Errc::invalid_argument, fmt::format("{}: at least 1 attempt is needed", var("RETRY_MAX_ATTEMPTS")));
  if (auto v = env(var("TIER"))) {
    const std::string_view tier = detail::trimmed(*v);
    if (auto why = providers::tier_problem(c.state.table, name, tier))
      return fail(Errc::invalid_argument, detail::about_value(var("TIER"), tier, *why));
    s.tier = std::string(tier);
  }
  if (auto v = env(var("KEYLESS"))) {
    const std::string_view flag = detail::trimmed(*v);
    if (flag != "true" && flag != "false")
      return fail(Errc::invalid_argument, detail::about_value(var("KEYLESS"), flag, "is not true or false"));
    s.keyless = flag == "true";
  }
  if (auto v = env(var("BASE_URL"))) {
    const std::string_view u = detail::trimmed(*v);
    if (auto why = detail::base_url_problem(u))
      return fail(Errc::invalid_argument, fmt::format("{}: {}", var("BASE_URL"), *why));
    s.base_url = std::string(u);
  }
  for (int i = 1; i <= 32; ++i) {
    const std::string key_var = i == 1 ? var("API_KEY") : var(fmt::format("API_KEY_{}", i));
    auto key = env(key_var);
    if (!key) continue;
    const std::string_view k = detail::trimmed(*key);
    if (k.empty()) return fail(Errc::invalid_argument, fmt::format("{}: the key is empty", key_var));
    if (auto why = providers::key_problem(k))
      return fail(Errc::invalid_argument, fmt::format("{}: the key {}", key_var, *why));
    const std::string acct_var = i == 1 ? var("ACCOUNT") : var(fmt::format("ACCOUNT_{}", i));
    std::string account;
    if (auto a = env(acct_var)) account = std::string(detail::trimmed(*a));
    c.state.keys.keys.push_back({name, std::string(k), std::move(account), 1});
  }
  if (s.keyless)
    for (const auto& k : c.state.keys.keys)
      if (k.provider == name)
        return fail(Errc::invalid_argument,
                    fmt::format("{}: {} is keyless, so it takes no key, yet a key is configured for it; remove "
                                "the key or the keyless setting",
                                var("KEYLESS"), name));
  if (auto v = env(std::string(state_file_variable)))
    if (auto why = detail::apply_state_file(c.state.keys, detail::trimmed(*v)))
      return fail(Errc::invalid_argument, fmt::format("{}: {}", state_file_variable, *why));
  if (auto r = c.backoff.validate(); !r) return fail(r.error().code, fmt::format("from_env({}): {}", p, r.error().message));
  into = std::move(c);
  return {};
}

/// A configuration with defaults and the `PREFIX_*` variables of the process (see `apply_env`).
inline Result<Configuration> from_env(std::string_view prefix, std::string_view provider = {},
                                      const Environment& env = process_environment()) {
  Configuration c;
  if (auto r = apply_env(c, prefix, provider, env); !r) return tl::unexpected(r.error());
  return c;
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
    if (auto it = doc.find("providers"); it != doc.end() && object(*it, "/providers", {})) {
      for (const auto& [name, pj] : it->items()) {
        const std::string ptr = "/providers/" + name;
        if (!c.state.table.provider(name))
          return bad(ptr, fmt::format("the provider table has no such provider; known providers: {}",
                                      provider_names(c.state.table)));
        if (!object(pj, ptr, {"tier", "rpm", "tpm", "rpd", "tpd", "itpm", "otpm", "max_concurrency",
                               "stagger_seconds", "headroom", "est_tokens_per_call", "base_url", "keyless"}))
          return error();
        ProviderSettings s;
        if (auto v = pj.find("tier"); v != pj.end()) {
          if (!v->is_string()) return bad(ptr + "/tier", "must be a string");
          s.tier = v->get<std::string>();
          if (auto why = providers::tier_problem(c.state.table, name, s.tier))
            return bad(ptr + "/tier", subject(s.tier, *why));
        }
        for (auto [field, target] : {std::pair{"rpm", &s.rpm}, std::pair{"tpm", &s.tpm}, std::pair{"rpd", &s.rpd},
                                     std::pair{"tpd", &s.tpd}, std::pair{"itpm", &s.itpm}, std::pair{"otpm", &s.otpm}}) {
          if (auto v = pj.find(field); v != pj.end()) {
            auto n = limit(*v, ptr + "/" + field);
            if (!n) return tl::unexpected(n.error());
            *target = *n;
          }
        }
        if (auto v = pj.find("max_concurrency"); v != pj.end()) {
          auto n = count(*v, ptr + "/max_concurrency");
          if (!n) return tl::unexpected(n.error());
          if (*n > 100000) return bad(ptr + "/max_concurrency", "must be at most 100000");
          s.max_concurrency = static_cast<std::uint32_t>(*n);
        }
        if (auto v = pj.find("est_tokens_per_call"); v != pj.end()) {
          auto n = count(*v, ptr + "/est_tokens_per_call");
          if (!n) return tl::unexpected(n.error());
          s.est_tokens_per_call = *n;
        }
        if (auto v = pj.find("stagger_seconds"); v != pj.end()) {
          auto n = number(*v, ptr + "/stagger_seconds", 0, 86400, false);
          if (!n) return tl::unexpected(n.error());
          s.stagger = seconds_to_duration(*n);
        }
        if (auto v = pj.find("headroom"); v != pj.end()) {
          auto n = number(*v, ptr + "/headroom", 0, 1, true);
          if (!n) return tl::unexpected(n.error());
          s.headroom = *n;
        }
        if (auto v = pj.find("base_url"); v != pj.end()) {
          if (!v->is_string()) return bad(ptr + "/base_url", "must be a string");
          s.base_url = v->get<std::string>();
          if (auto why = base_url_problem(*s.base_url)) return bad(ptr + "/base_url", *why);
        }
        if (auto v = pj.find("keyless"); v != pj.end()) {
          if (!v->is_boolean()) return bad(ptr + "/keyless", "must be true or false");
          s.keyless = v->get<bool>();
        }
        c.state.providers[name] = std::move(s);
      }
    } else if (it != doc.end()) {
      return error();
    }
    if (auto it = doc.find("keys"); it != doc.end()) {
      if (!it->is_array()) return bad("/keys", "must be an array");
      for (std::size_t i = 0; i < it->size(); ++i) {
        const auto& kj = (*it)[i];
        const std::string ptr = fmt::format("/keys/{}", i);
        if (!object(kj, ptr, {"provider", "key", "key_env", "account", "weight"})) return error();
        keys::KeyConfig k;
        if (!kj.contains("provider") || !kj["provider"].is_string()) return bad(ptr + "/provider", "must be a string");
        k.provider = kj["provider"].get<std::string>();
        if (!c.state.table.provider(k.provider))
          return bad(ptr + "/provider", fmt::format("the provider table has no such provider; known providers: {}",
                                                    provider_names(c.state.table)));
        if (auto p = c.state.providers.find(k.provider); p != c.state.providers.end() && p->second.keyless)
          return bad(ptr + "/provider",
                     fmt::format("{} is keyless (/providers/{}/keyless), so it takes no key; remove the key or "
                                 "the keyless setting",
                                 k.provider, k.provider));
        if (kj.contains("key") == kj.contains("key_env"))
          return bad(ptr, "give exactly one of key and key_env (an environment variable holding the key)");
        if (kj.contains("key")) {
          if (!kj["key"].is_string()) return bad(ptr + "/key", "must be a string");
          k.key = kj["key"].get<std::string>();
          if (auto why = providers::key_problem(k.key)) return bad(ptr + "/key", fmt::format("the key {}", *why));
        } else {
          if (!kj["key_env"].is_string() || !is_variable_name(kj["key_env"].get_ref<const std::string&>()))
            return bad(ptr + "/key_env", "must name an environment variable (letters, digits and _)");
          const auto name = kj["key_env"].get<std::string>();
          auto v = env_(name);
          if (!v || v->empty()) return bad(ptr + "/key_env", fmt::format("the variable {} is not set", name));
          k.key = *v;
          if (auto why = providers::key_problem(k.key))
            return bad(ptr + "/key_env", fmt::format("the key in {} {}", name, *why));
        }
        if (auto a = kj.find("account"); a != kj.end()) {
          if (!a->is_string()) return bad(ptr + "/account", "must be a string");
          k.account = a->get<std::string>();
        }
        if (auto w = kj.find("weight"); w != kj.end()) {
          auto n = count(*w, ptr + "/weight");
          if (!n) return tl::unexpected(n.error());
          if (*n == 0 || *n > 1000000) return bad(ptr + "/weight", "must be in [1, 1000000]");
          k.weight = static_cast<std::uint32_t>(*n);
        }
        c.state.keys.keys.push_back(std::move(k));
      }
    }
    if (auto it = doc.find("tasks"); it != doc.end()) {
      if (!object(*it, "/tasks", {"calls", "default_calls", "tokens", "default_tokens"})) return error();
      for (auto [field, target] : {std::pair{"calls", &c.state.tasks.calls_by_kind},
                                   std::pair{"tokens", &c.state.tasks.tokens_by_kind}}) {
        if (auto m = it->find(field); m != it->end()) {
          if (!m->is_object()) return bad(std::string("/tasks/") + field, "must be an object of task kinds");
          target->clear();
          for (const auto& [kind, v] : m->items()) {
            auto n = budget(v, fmt::format("/tasks/{}/{}", field, providers::detail::pointer_escape(kind)));
            if (!n) return tl::unexpected(n.error());
            (*target)[kind] = *n;
          }
        }
      }
      if (auto v = it->find("default_calls"); v != it->end()) {
        auto n = budget(*v, "/tasks/default_calls");
        if (!n) return tl::unexpected(n.error());
        c.state.tasks.default_calls = *n;
      }
      if (auto v = it->find("default_tokens"); v != it->end()) {
        auto n = budget(*v, "/tasks/default_tokens");
        if (!n) return tl::unexpected(n.error());
        c.state.tasks.default_tokens = *n;
      }
    }
    if (auto it = doc.find("spend"); it != doc.end()) {
      if (!object(*it, "/spend", {"daily_usd", "monthly_usd", "alert_at", "at_limit", "time_zone"})) return error();
      SpendBudgetConfig s;
      for (auto [field, target] : {std::pair{"daily_usd", &s.daily_usd}, std::pair{"monthly_usd", &s.monthly_usd}}) {
        if (auto v = it->find(field); v != it->end()) {
          auto n = number(*v, std::string("/spend/") + field, 0, 1e12, false);
          if (!n) return tl::unexpected(n.error());
          *target = *n;
        }
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
      c.state.spend = std::move(s);
    }
    if (auto it = doc.find("routing"); it != doc.end()) {
      auto r = ModelRouting::from_json(*it);
      if (!r) return bad("/routing", r.error().message);
      c.state.routing = std::move(*r);
    }
    if (auto it = doc.find("cache"); it != doc.end()) {
      if (!object(*it, "/cache", {"ttl_seconds", "max_entries", "max_bytes"})) return error();
      if (auto v = it->find("ttl_seconds"); v != it->end()) {
        auto n = number(*v, "/cache/ttl_seconds", 0, 86400 * 365.0, false);
        if (!n) return tl::unexpected(n.error());
        c.state.cache.ttl = seconds_to_duration(*n);
      }
      for (auto [field, target] : {std::pair{"max_entries", &c.state.cache.max_entries},
                                   std::pair{"max_bytes", &c.state.cache.max_bytes}}) {
        if (auto v = it->find(field); v != it->end()) {
          auto n = count(*v, std::string("/cache/") + field);
          if (!n) return tl::unexpected(n.error());
          *target = static_cast<std::size_t>(*n);
        }
      }
    }
    if (auto v = doc.find("max_waiters"); v != doc.end()) {
      auto n = count(*v, "/max_waiters");
      if (!n) return tl::unexpected(n.error());
      if (*n == 0) return bad("/max_waiters", "must be at least 1");
      c.state.max_waiters = static_cast<std::size_t>(*n);
    }
    if (auto v = doc.find("failure_cooldown_seconds"); v != doc.end()) {
      auto n = number(*v, "/failure_cooldown_seconds", 0, 86400, false);
      if (!n) return tl::unexpected(n.error());
      c.state.failure_cooldown = seconds_to_duration(*n);
    }
    if (auto r = read_walk_caps(doc, c.state); !r) return tl::unexpected(r.error());
    if (auto r = read_calibration(doc, c.state); !r) return tl::unexpected(r.error());
    if (auto r = read_breaker(doc, c.state.breaker); !r) return tl::unexpected(r.error());
    if (auto r = read_alerts(doc, c.state.alerts); !r) return tl::unexpected(r.error());
    if (auto v = doc.find("seed"); v != doc.end()) {
      auto n = count(*v, "/seed");
      if (!n) return tl::unexpected(n.error());
      c.state.seed = *n;
    }
    if (auto v = doc.find("state_file"); v != doc.end()) {
      if (!v->is_string()) return bad("/state_file", "must be a path, or \"off\"");
      if (auto why = apply_state_file(c.state.keys, v->get_ref<const std::string&>())) return bad("/state_file", *why);
    }
    if (auto it = doc.find("backoff"); it != doc.end()) {
      if (!object(*it, "/backoff", {"base_seconds", "factor", "min_seconds", "max_seconds", "attempts"})) return error();
      for (auto [field, target] : {std::pair{"base_seconds", &c.backoff.base}, std::pair{"min_seconds", &c.backoff.min},
                                   std::pair{"max_seconds", &c.backoff.max}}) {
        if (auto v = it->find(field); v != it->end()) {
          auto n = number(*v, std::string("/backoff/") + field, 0, 86400, false);
          if (!n) return tl::unexpected(n.error());
          *target = seconds_to_duration(*n);
        }
      }
      if (auto v = it->find("factor"); v != it->end()) {
        auto n = number(*v, "/backoff/factor", 1, 100, false);
        if (!n) return tl::unexpected(n.error());
        c.backoff.factor = *n;
      }
      if (auto v = it->find("attempts"); v != it->end()) {
        auto n = count(*v, "/backoff/attempts");
        if (!n) return tl::unexpected(n.error());
        if (*n == 0 || *n > 100) return bad("/backoff/attempts", "must be in [1, 100]");
        c.backoff.attempts = static_cast<std::uint32_t>(*n);
      }
      if (auto r = c.backoff.validate(); !r) return bad("/backoff", r.error().message);
    }
    return c;
  }

  /// "max_total_wait_seconds" (the backoff's total-wait cap on one target, and the default
  /// admission patience) and "max_fallbacks" (moves to another model or provider per call).
  Result<void> read_walk_caps(const nlohmann::json& doc, StateConfig& s) {
    if (auto v = doc.find("max_total_wait_seconds"); v != doc.end()) {
      auto n = number(*v, "/max_total_wait_seconds", 0, 86400, false);
      if (!n) return tl::unexpected(n.error());
      s.max_total_wait = seconds_to_duration(*n);
    }
    if (auto v = doc.find("max_fallbacks"); v != doc.end()) {
      auto n = count(*v, "/max_fallbacks");
      if (!n) return tl::unexpected(n.error());
      if (*n > max_fallbacks_setting) return bad("/max_fallbacks", fmt::format("must be at most {}", max_fallbacks_setting));
      s.max_fallbacks = static_cast<std::uint32_t>(*n);
    }
    return {};
  }

  /// "calibration": {"enabled", "quantile", "window", "min_samples"}, in the ranges
  /// `State::create` accepts.
  Result<void> read_calibration(const nlohmann::json& doc, StateConfig& s) {
    auto it = doc.find("calibration");
    if (it == doc.end()) return {};
    if (!object(*it, "/calibration", {"enabled", "quantile", "window", "min_samples"})) return error();
    if (auto v = it->find("enabled"); v != it->end()) {
      auto b = flag(*v, "/calibration/enabled");
      if (!b) return tl::unexpected(b.error());
      s.calibrate = *b;
    }
    if (auto v = it->find("quantile"); v != it->end()) {
      auto n = number(*v, "/calibration/quantile", 0.5, 1, false);
      if (!n) return tl::unexpected(n.error());
      s.calibration.quantile = *n;
    }
    if (auto v = it->find("window"); v != it->end()) {
      auto n = count(*v, "/calibration/window");
      if (!n) return tl::unexpected(n.error());
      if (*n < 1 || *n > providers::ModelCalibration::capacity)
        return bad("/calibration/window", fmt::format("must be in [1, {}] replies", providers::ModelCalibration::capacity));
      s.calibration.window = static_cast<std::size_t>(*n);
    }
    if (auto v = it->find("min_samples"); v != it->end()) {
      auto n = count(*v, "/calibration/min_samples");
      if (!n) return tl::unexpected(n.error());
      if (*n < 1 || *n > max_count_setting) return bad("/calibration/min_samples", fmt::format("must be in [1, {}]", max_count_setting));
      s.calibration.min_samples = static_cast<std::size_t>(*n);
    }
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

  /// The most a few settings can hold before a check compares them with their real range:
  /// counts, seconds and amounts past these are refused here, never wrapped or overflowed.
  static constexpr std::uint64_t max_fallbacks_setting = 1000;
  static constexpr std::uint64_t max_count_setting = 1'000'000;
  static constexpr double max_seconds_setting = 86400.0 * 366;
  static constexpr double max_real_setting = 1e12;

  /// A count for a 32-bit setting: one past its range stays past it (no wrap to a small value).
  static std::uint32_t narrow(std::uint64_t n) noexcept {
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(n, std::numeric_limits<std::uint32_t>::max()));
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
