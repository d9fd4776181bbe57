#pragma once
/// @file
/// `validate`: the rules a `StateConfig` keeps, written once for every way of configuring a
/// State — a `StateConfig` built in code (`State::create` runs `validate`), the environment
/// and a JSON file (config.hpp runs the same rules on what it read) — so that a value one
/// path refuses is refused by all, for the same reason.
///
/// A rule reports a `SettingProblem`: which setting (a `Setting`, with its provider or key),
/// and why, in words that follow any name of it. Each way of configuring names the setting
/// its own way: `State::create` as `StateConfig` spells it ("openai: headroom must be in
/// [0, 1)"), the environment by its variable (`OPENAI_TPM_HEADROOM: must be in [0, 1)`), a
/// JSON file by its pointer (`governed.json: /providers/openai/headroom: must be in [0, 1)`).
///
/// Each check returns the reason a value is wrong, never the value: a misplaced key in a URL
/// or a number variable must not be repeated in the message that refuses it.

#include <governed/ascii.hpp>
#include <governed/error.hpp>
#include <governed/keys/pool.hpp>
#include <governed/providers/redact.hpp>
#include <governed/providers/table.hpp>
#include <governed/providers/tokens.hpp>
#include <governed/result.hpp>
#include <governed/state/settings.hpp>

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace governed {

namespace detail {

/// Whether a base URL's query (without its '?') carries a credential: a parameter named as
/// keys and tokens are (`?key=AIza…` is how Gemini takes a key in a URL), or a secret-shaped
/// value. A query such as Azure's `api-version=2024-10-21` is sent with every call and is fine.
constexpr bool query_carries_credential(std::string_view query) noexcept {
  constexpr std::string_view credential_names[] = {"key",   "api_key", "api-key",  "apikey", "access_token",
                                                   "token", "auth",    "password", "secret", "sig",
                                                   "signature"};
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const std::string_view name = param.substr(0, param.find('='));
    for (const auto n : credential_names)
      if (ascii::iequals(name, n)) return true;
    for (std::size_t i = 0, j = 0; i < param.size(); i = j + 1) {  // each run of token characters
      j = i;
      while (j < param.size() && providers::detail::is_token_char(param[j])) ++j;
      if (providers::detail::secret_prefix(param.substr(i, j - i))) return true;
    }
  }
  return false;
}

/// Why `url` can not be a provider's base URL, or nothing. It must be http:// or https://,
/// name a host, hold no white space or control character, carry no `user:password@` and no
/// key in its query (`?key=…`): credentials in a URL end up in logs and error texts, and
/// providers take keys in headers. Nor may it have a fragment (`#…`), which no server sees.
inline std::optional<std::string_view> base_url_problem(std::string_view url) noexcept {
  std::string_view rest;
  if (url.starts_with("https://")) rest = url.substr(8);
  else if (url.starts_with("http://")) rest = url.substr(7);
  else return "a base URL starts with https:// or http://";
  for (char ch : url) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F) return "a base URL holds no white space or control character";
  }
  // The authority runs to the first '/', '?' or '#' (RFC 3986 §3.2); userinfo ends at its '@'.
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos)
    return "a base URL carries no user name or password (…@host): give the key as a key";
  if (authority.empty()) return "a base URL names a host";
  if (rest.find('#') != std::string_view::npos)
    return "a base URL has no fragment (#…): nothing after '#' reaches the server";
  if (const auto q = rest.find('?'); q != std::string_view::npos && query_carries_credential(rest.substr(q + 1)))
    return "a base URL carries no key in its query (?key=…): give the key as a key";
  return std::nullopt;
}

/// `value` quoted for an error message when it is a short plain word or number that cannot be
/// a secret ("Tier1", "-4", "1.5"); otherwise empty, and the message names only its variable.
inline std::string shown_value(std::string_view value) {
  constexpr std::size_t longest = 16;
  if (value.empty() || value.size() > longest) return {};
  for (char c : value)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
          c == '+' || c == '_'))
      return {};
  if (providers::redact(value) != value) return {};
  return fmt::format("\"{}\"", value);
}

/// A name from the settings (a provider's) for an error message: as written when
/// `shown_value` would show it, else "?" — a key pasted where a name goes is not repeated.
inline std::string_view shown_name(std::string_view name) {
  return shown_value(name).empty() ? std::string_view("?") : name;
}

/// "<value> <reason>" when the value may be shown, else the reason alone.
inline std::string subject(std::string_view value, std::string_view reason) {
  const std::string shown = shown_value(value);
  return shown.empty() ? std::string(reason) : fmt::format("{} {}", shown, reason);
}

}  // namespace detail

/// A setting of a `StateConfig` a rule can refuse. Named here once, so that each way of
/// configuring maps it to its own name for it (a variable, a JSON pointer, a field).
enum class Setting {
  provider_name,  ///< a name in `providers` the table does not have
  tier,
  rpm,
  tpm,
  rpd,
  tpd,
  itpm,
  otpm,
  max_concurrency,
  stagger,
  headroom,
  est_tokens_per_call,
  skew,
  base_url,
  keyless,       ///< a keyless provider that is given a key as well (`key` says which)
  key_provider,  ///< a key naming a provider the table does not have
  key,           ///< a key the redactor could not keep out of messages
  key_weight,
  state_file,
  tasks,
  routing,
  max_waiters,
  concurrency_poll,
  failure_cooldown,
  max_total_wait,
  max_fallbacks,
  calibration_quantile,
  calibration_window,
  calibration_min_samples,
  breaker,
  alerts,
};

/// What a rule refuses: the setting, whose it is, and why.
struct SettingProblem {
  Setting setting = Setting::provider_name;
  /// The provider whose setting it is (provider settings, and a key's provider).
  std::string provider{};
  /// The key's position in `StateConfig::keys.keys` (key settings).
  std::size_t key = 0;
  /// Why, in words that follow the setting's name, or its value when one is shown: "must be
  /// in [0, 1)". For the tasks, the routing, the breaker and the alerts, their own
  /// validation's whole sentence.
  std::string reason{};
  /// The value, quoted, where a message may show it (a tier name: a typo is seen at a
  /// glance); empty where it could be a secret, or adds nothing.
  std::string value{};

  /// The value (when shown) and the reason: "\"Tier1\" is not a tier of openai …".
  std::string value_and_reason() const { return value.empty() ? reason : fmt::format("{} {}", value, reason); }
};

/// The ranges the rules hold settings to. Counts past them are no configuration anyone
/// means, and keeping them small keeps every sum and product of them far from overflow.
inline constexpr std::uint32_t max_concurrency_setting = 100000;
inline constexpr std::uint32_t max_key_weight = 1000000;
inline constexpr std::uint32_t max_fallbacks_setting = 1000;
inline constexpr std::size_t max_calibration_min_samples = 1000000;

namespace detail {

inline SettingProblem problem(Setting setting, std::string provider, std::string reason, std::size_t key = 0) {
  return SettingProblem{setting, std::move(provider), key, std::move(reason)};
}

/// How the provider's calls are shaped: concurrency, spacing, reserve, estimates.
inline std::optional<SettingProblem> shape_problem(std::string_view name, const ProviderSettings& s) {
  const std::string n(name);
  if (s.max_concurrency > max_concurrency_setting)
    return problem(Setting::max_concurrency, n, fmt::format("must be at most {}", max_concurrency_setting));
  if (s.stagger < Duration{0}) return problem(Setting::stagger, n, "must not be negative");
  if (!(s.headroom >= 0.0 && s.headroom < 1.0)) return problem(Setting::headroom, n, "must be in [0, 1)");
  if (s.skew < Duration{0}) return problem(Setting::skew, n, "must not be negative");
  return std::nullopt;
}

}  // namespace detail

/// The rules of one provider's settings: `name` is a provider of `table`, the tier one the
/// table lists for it, the base URL usable, its calls' shape in range. (A rate or quota limit
/// may be any number in code, where 0 means none; the readers bound what they read.)
inline std::optional<SettingProblem> provider_problem(const providers::Table& table, std::string_view name,
                                                      const ProviderSettings& s) {
  const std::string n(name);
  if (!table.provider(name)) return detail::problem(Setting::provider_name, n, "");
  if (auto why = providers::tier_problem(table, name, s.tier)) {
    auto p = detail::problem(Setting::tier, n, *why);
    p.value = detail::shown_value(s.tier);
    return p;
  }
  if (s.base_url)
    if (auto why = detail::base_url_problem(*s.base_url)) return detail::problem(Setting::base_url, n, std::string(*why));
  return detail::shape_problem(name, s);
}

/// The rules of key `i` of `keys`: its provider is in `table` and takes keys, the key can
/// be kept out of messages, its weight is in [1, `max_key_weight`].
inline std::optional<SettingProblem> key_problem(const providers::Table& table, const ProviderSettingsMap& settings,
                                                 const keys::PoolConfig& keys, std::size_t i) {
  const keys::KeyConfig& k = keys.keys[i];
  if (!table.provider(k.provider)) return detail::problem(Setting::key_provider, k.provider, "", i);
  if (auto why = providers::key_problem(k.key)) return detail::problem(Setting::key, k.provider, std::string(*why), i);
  if (k.weight < 1 || k.weight > max_key_weight)
    return detail::problem(Setting::key_weight, k.provider, fmt::format("must be in [1, {}]", max_key_weight), i);
  if (auto p = settings.find(k.provider); p != settings.end() && p->second.keyless)
    return detail::problem(Setting::keyless, k.provider, "remove the key or the keyless setting", i);
  return std::nullopt;
}

namespace detail {

/// The figures of a call's walk and of the prompt-estimate calibration.
inline std::optional<SettingProblem> walk_problem(const StateConfig& c) {
  if (c.max_waiters == 0) return problem(Setting::max_waiters, "", "must be at least 1");
  if (c.concurrency_poll <= Duration{0}) return problem(Setting::concurrency_poll, "", "must be positive");
  if (c.failure_cooldown < Duration{0}) return problem(Setting::failure_cooldown, "", "must not be negative");
  if (c.max_total_wait < Duration{0})
    return problem(Setting::max_total_wait, "", "must not be negative (0: a call falls back instead of backing off)");
  if (c.max_fallbacks && *c.max_fallbacks > max_fallbacks_setting)
    return problem(Setting::max_fallbacks, "", fmt::format("must be at most {}", max_fallbacks_setting));
  const auto& cal = c.calibration;
  if (!(cal.quantile >= 0.5 && cal.quantile <= 1.0)) return problem(Setting::calibration_quantile, "", "must be in [0.5, 1]");
  if (cal.window < 1 || cal.window > providers::ModelCalibration::capacity)
    return problem(Setting::calibration_window, "",
                   fmt::format("must be in [1, {}] replies", providers::ModelCalibration::capacity));
  if (cal.min_samples < 1 || cal.min_samples > max_calibration_min_samples)
    return problem(Setting::calibration_min_samples, "", fmt::format("must be in [1, {}]", max_calibration_min_samples));
  return std::nullopt;
}

/// The parts that validate themselves: routing, breaker, alerts.
inline std::optional<SettingProblem> parts_problem(const StateConfig& c) {
  if (auto r = c.routing.validate(c.table); !r) return problem(Setting::routing, "", r.error().message);
  if (auto r = c.breaker.validate(); !r) return problem(Setting::breaker, "", r.error().message);
  if (auto r = c.alerts.validate(); !r) return problem(Setting::alerts, "", r.error().message);
  return std::nullopt;
}

}  // namespace detail

/// The first rule the providers' settings, the keys, the key-health file or the task budgets
/// break, or nothing.
inline std::optional<SettingProblem> settings_problem(const providers::Table& table, const ProviderSettingsMap& providers,
                                                      const keys::PoolConfig& keys, const TaskBudgetConfig& tasks) {
  for (const auto& [name, s] : providers)
    if (auto p = provider_problem(table, name, s)) return p;
  for (std::size_t i = 0; i < keys.keys.size(); ++i)
    if (auto p = key_problem(table, providers, keys, i)) return p;
  if (keys.state_file && keys.state_file->empty()) return detail::problem(Setting::state_file, "", "is an empty path");
  if (auto r = tasks.validate(); !r) return detail::problem(Setting::tasks, "", r.error().message);
  return std::nullopt;
}

/// The first rule `c` breaks, or nothing: each provider's settings, each key, the key-health
/// file and task budgets, the walk's figures, then the routing, breaker and alerts.
inline std::optional<SettingProblem> first_problem(const StateConfig& c) {
  if (auto p = settings_problem(c.table, c.providers, c.keys, c.tasks)) return p;
  if (auto p = detail::walk_problem(c)) return p;
  return detail::parts_problem(c);
}

/// `setting` as `StateConfig` spells it: "headroom", "calibration.window".
constexpr std::string_view field_name(Setting setting) noexcept {
  switch (setting) {
    case Setting::provider_name: return "providers";
    case Setting::tier: return "tier";
    case Setting::rpm: return "rpm";
    case Setting::tpm: return "tpm";
    case Setting::rpd: return "rpd";
    case Setting::tpd: return "tpd";
    case Setting::itpm: return "itpm";
    case Setting::otpm: return "otpm";
    case Setting::max_concurrency: return "max_concurrency";
    case Setting::stagger: return "stagger";
    case Setting::headroom: return "headroom";
    case Setting::est_tokens_per_call: return "est_tokens_per_call";
    case Setting::skew: return "skew";
    case Setting::base_url: return "base_url";
    case Setting::keyless: return "keyless";
    case Setting::key_provider: return "provider";
    case Setting::key: return "key";
    case Setting::key_weight: return "weight";
    case Setting::state_file: return "keys.state_file";
    case Setting::tasks: return "tasks";
    case Setting::routing: return "routing";
    case Setting::max_waiters: return "max_waiters";
    case Setting::concurrency_poll: return "concurrency_poll";
    case Setting::failure_cooldown: return "failure_cooldown";
    case Setting::max_total_wait: return "max_total_wait";
    case Setting::max_fallbacks: return "max_fallbacks";
    case Setting::calibration_quantile: return "calibration.quantile";
    case Setting::calibration_window: return "calibration.window";
    case Setting::calibration_min_samples: return "calibration.min_samples";
    case Setting::breaker: return "breaker";
    case Setting::alerts: return "alerts";
  }
  return "?";
}

/// The problem in the words of a program that built the `StateConfig` in code: "openai:
/// headroom must be in [0, 1)", "key 2 of the pool (groq) is percent-encoded …".
inline std::string code_message(const SettingProblem& p) {
  const std::string_view field = field_name(p.setting);
  switch (p.setting) {
    case Setting::provider_name:
      return fmt::format("settings name provider {}, which the table does not have", detail::shown_name(p.provider));
    case Setting::tier: return fmt::format("{}: the tier {}", p.provider, p.value_and_reason());
    case Setting::base_url: return fmt::format("{}: {}", p.provider, p.reason);
    case Setting::keyless:
      return fmt::format("provider {} is configured keyless, yet key {} of the pool is for it; {}", p.provider, p.key,
                         p.reason);
    case Setting::key_provider:
      return fmt::format("key {} names provider {}, which the table does not have", p.key,
                         detail::shown_name(p.provider));
    case Setting::key: return fmt::format("key {} of the pool ({}) {}", p.key, p.provider, p.reason);
    case Setting::key_weight: return fmt::format("key {} of the pool ({}): weight {}", p.key, p.provider, p.reason);
    case Setting::state_file: return fmt::format("the key-health state file {}", p.reason);
    case Setting::tasks:
    case Setting::routing:
    case Setting::breaker:
    case Setting::alerts: return p.reason;
    default: break;
  }
  if (!p.provider.empty()) return fmt::format("{}: {} {}", p.provider, field, p.reason);
  return fmt::format("{} {}", field, p.reason);
}

/// Checks every rule of `config` (see `first_problem`). Errors (invalid_argument) name the
/// setting as `StateConfig` spells it — the provider, the key's position, the task kind —
/// never a secret.
inline Result<void> validate(const StateConfig& config) {
  if (auto p = first_problem(config)) return fail(Errc::invalid_argument, code_message(*p));
  return {};
}

/// The rules of the providers' settings, the keys, the key-health file and the task budgets:
/// the part of `validate` for callers that hold these apart from a `StateConfig`.
inline Result<void> check_settings(const providers::Table& table, const ProviderSettingsMap& providers,
                                   const keys::PoolConfig& keys, const TaskBudgetConfig& tasks) {
  if (auto p = settings_problem(table, providers, keys, tasks)) return fail(Errc::invalid_argument, code_message(*p));
  return {};
}

}  // namespace governed
