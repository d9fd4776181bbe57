#pragma once
/// @file
/// Configuration from the environment: `from_env` and `apply_env` read a provider's
/// `PREFIX_*` variables into a `Configuration`, and hold what they set to the rules a
/// `StateConfig` keeps (`provider_problem`, `key_problem`), each refusal naming its variable.
///
/// ```cpp
/// // OPENAI_MAX_CONCURRENCY=3 OPENAI_STAGGER_SECONDS=15 OPENAI_TPM_LIMIT=30000
/// // OPENAI_TPM_HEADROOM=0.15 OPENAI_API_KEY=… OPENAI_API_KEY_2=…
/// auto config = governed::from_env("OPENAI");
/// if (!config) die(config.error().message);   // "OPENAI_TPM_HEADROOM: \"1.5\" must be in [0, 1)"
/// ```

#include <governed/ascii.hpp>
#include <governed/backoff/exponential.hpp>
#include <governed/config/configuration.hpp>
#include <governed/error.hpp>
#include <governed/result.hpp>
#include <governed/settings_check.hpp>
#include <governed/state/settings.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace governed {

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

/// The largest whole number a variable may hold (2^40): a limit or token count past it is a
/// typo, and the environment refuses it as it reads it.
inline constexpr std::uint64_t max_env_count = std::uint64_t{1} << 40;

/// Reads one provider's `PREFIX_*` variables into a configuration (see `apply_env`): first
/// what each variable says, each in its own form, then the rules of what they set
/// (`provider_problem`, `key_problem`), each refusal naming its variable.
class EnvReader {
 public:
  EnvReader(std::string_view prefix, std::string provider, const Environment& env)
      : prefix_(prefix), provider_(std::move(provider)), env_(env) {}

  Result<void> read(Configuration& c) {
    ProviderSettings& s = c.state.providers[provider_];
    if (auto r = read_limits(s); !r) return r;
    if (auto r = read_numbers(s, c.backoff); !r) return r;
    if (auto r = read_words(s); !r) return r;
    if (auto r = read_keys(c.state.keys); !r) return r;
    if (auto v = env_(std::string(state_file_variable)))
      if (auto why = apply_state_file(c.state.keys, trimmed(*v)))
        return fail(Errc::invalid_argument, fmt::format("{}: {}", state_file_variable, *why));
    return check(c);
  }

 private:
  std::string var(std::string_view suffix) const { return fmt::format("{}_{}", prefix_, suffix); }

  /// Reads the variable `suffix`, when it is set, with `parse` (an `env_*` reader), and hands
  /// the value to `set`.
  template <class Parse, class Set>
  Result<void> read_var(std::string_view suffix, Parse&& parse, Set&& set) const {
    const std::string name = var(suffix);
    const auto text = env_(name);
    if (!text) return {};
    auto value = parse(name, *text);
    if (!value) return tl::unexpected(value.error());
    set(*value);
    return {};
  }

  /// `PREFIX_RPM_LIMIT` … `PREFIX_OTPM_LIMIT`: a positive number up to `max_env_count`, or
  /// `unlimited`.
  Result<void> read_limits(ProviderSettings& s) const {
    const auto limit = [](const std::string& n, std::string_view t) { return env_limit(n, t, max_env_count); };
    for (auto [suffix, target] : {std::pair{"RPM_LIMIT", &s.rpm}, std::pair{"TPM_LIMIT", &s.tpm},
                                  std::pair{"RPD_LIMIT", &s.rpd}, std::pair{"TPD_LIMIT", &s.tpd},
                                  std::pair{"ITPM_LIMIT", &s.itpm}, std::pair{"OTPM_LIMIT", &s.otpm}})
      if (auto r = read_var(suffix, limit, [t = target](std::uint64_t v) { *t = v; }); !r) return r;
    return {};
  }

  /// The counts and numbers. Counts are read up to `max_env_count`, seconds within a day (an
  /// hour for the backoff's base) before they become nanoseconds; every other range is the
  /// rules'.
  Result<void> read_numbers(ProviderSettings& s, backoff::exponential& b) const {
    const auto count = [](const std::string& n, std::string_view t) { return env_count(n, t, max_env_count); };
    const auto number = [](const std::string& n, std::string_view t) { return env_number(n, t, -1e12, 1e12, false); };
    const auto seconds = [](double most) {
      return [most](const std::string& n, std::string_view t) { return env_number(n, t, 0.0, most, false); };
    };
    for (auto r : {read_var("MAX_CONCURRENCY", count, [&](std::uint64_t v) { s.max_concurrency = saturated_u32(v); }),
                   read_var("EST_TOKENS_PER_RUN", count, [&](std::uint64_t v) { s.est_tokens_per_call = v; }),
                   read_var("RETRY_MAX_ATTEMPTS", count, [&](std::uint64_t v) { b.attempts = saturated_u32(v); }),
                   read_var("TPM_HEADROOM", number, [&](double v) { s.headroom = v; }),
                   read_var("STAGGER_SECONDS", seconds(86400.0),
                            [&](double v) { s.stagger = seconds_to_duration(v); }),
                   read_var("BACKOFF_BASE_SECONDS", seconds(3600.0),
                            [&](double v) { b.base = seconds_to_duration(v); })})
      if (!r) return r;
    return {};
  }

  /// `PREFIX_TIER`, `PREFIX_KEYLESS` (true or false) and `PREFIX_BASE_URL`.
  Result<void> read_words(ProviderSettings& s) const {
    if (auto v = env_(var("TIER"))) s.tier = std::string(trimmed(*v));
    if (auto v = env_(var("KEYLESS"))) {
      const std::string_view flag = trimmed(*v);
      if (flag != "true" && flag != "false")
        return fail(Errc::invalid_argument, about_value(var("KEYLESS"), flag, "is not true or false"));
      s.keyless = flag == "true";
    }
    if (auto v = env_(var("BASE_URL"))) s.base_url = std::string(trimmed(*v));
    return {};
  }

  /// `PREFIX_API_KEY`, `PREFIX_API_KEY_2` … `_32` (gaps allowed), each with its
  /// `PREFIX_ACCOUNT[_N]`, after the keys `keys` holds.
  Result<void> read_keys(keys::PoolConfig& keys) {
    for (int i = 1; i <= 32; ++i) {
      const std::string key_var = i == 1 ? var("API_KEY") : var(fmt::format("API_KEY_{}", i));
      auto key = env_(key_var);
      if (!key) continue;
      const std::string_view k = trimmed(*key);
      if (k.empty()) return fail(Errc::invalid_argument, fmt::format("{}: the key is empty", key_var));
      const std::string acct_var = i == 1 ? var("ACCOUNT") : var(fmt::format("ACCOUNT_{}", i));
      std::string account;
      if (auto a = env_(acct_var)) account = std::string(trimmed(*a));
      key_variables_.emplace(keys.keys.size(), key_var);
      keys.keys.push_back({provider_, std::string(k), std::move(account), 1});
    }
    return {};
  }

  /// The rules of the provider's settings, its keys and the backoff, each refusal naming its
  /// variable.
  Result<void> check(const Configuration& c) const {
    const StateConfig& st = c.state;
    if (auto p = provider_problem(st.table, provider_, st.providers.find(provider_)->second)) return refuse(*p);
    for (std::size_t i = 0; i < st.keys.keys.size(); ++i)
      if (st.keys.keys[i].provider == provider_)
        if (auto p = key_problem(st.table, st.providers, st.keys, i)) return refuse(*p);
    if (auto p = backoff_problem(c.backoff)) {
      if (!p->attempts) return fail(Errc::invalid_argument, fmt::format("from_env({}): {}", prefix_, p->reason));
      const std::string attempts = var("RETRY_MAX_ATTEMPTS");
      return fail(Errc::invalid_argument,
                  fmt::format("{}: {}", attempts, with_value(SettingProblem{.reason = p->reason}, attempts)));
    }
    return {};
  }

  /// The variable that sets `s`, or none: what no variable sets came from the code.
  static std::optional<std::string_view> suffix_of(Setting s) noexcept {
    switch (s) {
      case Setting::tier: return "TIER";
      case Setting::rpm: return "RPM_LIMIT";
      case Setting::tpm: return "TPM_LIMIT";
      case Setting::rpd: return "RPD_LIMIT";
      case Setting::tpd: return "TPD_LIMIT";
      case Setting::itpm: return "ITPM_LIMIT";
      case Setting::otpm: return "OTPM_LIMIT";
      case Setting::max_concurrency: return "MAX_CONCURRENCY";
      case Setting::stagger: return "STAGGER_SECONDS";
      case Setting::headroom: return "TPM_HEADROOM";
      case Setting::est_tokens_per_call: return "EST_TOKENS_PER_RUN";
      case Setting::base_url: return "BASE_URL";
      case Setting::keyless: return "KEYLESS";
      default: return std::nullopt;
    }
  }

  /// The reason after the variable's value, when a message may show it (a number: "1.5"),
  /// as the readers' own messages show it. A base URL's reasons name the URL instead.
  std::string with_value(const SettingProblem& p, const std::string& variable) const {
    if (!p.value.empty() || p.setting == Setting::base_url) return p.value_and_reason();
    const auto text = env_(variable);
    const std::string shown = text ? shown_value(trimmed(*text)) : std::string{};
    return shown.empty() ? p.reason : fmt::format("{} {}", shown, p.reason);
  }

  tl::unexpected<Error> refuse(const SettingProblem& p) const {
    const auto key_var = key_variables_.find(p.key);
    std::string text;
    if (p.setting == Setting::keyless)
      text = fmt::format("{}: {} is keyless, so it takes no key, yet a key is configured for it; {}", var("KEYLESS"),
                         p.provider, p.reason);
    else if (p.setting == Setting::key && key_var != key_variables_.end())
      text = fmt::format("{}: the key {}", key_var->second, p.reason);
    else if (p.setting == Setting::tier && p.value.empty())  // a value that could be a secret
      text = fmt::format("{}: the value {}", var("TIER"), p.reason);
    else if (const auto suffix = suffix_of(p.setting))
      text = fmt::format("{}: {}", var(*suffix), with_value(p, var(*suffix)));
    else
      text = fmt::format("from_env({}): {}", prefix_, code_message(p));
    return fail(Errc::invalid_argument, std::move(text));
  }

  std::string prefix_;
  std::string provider_;
  const Environment& env_;
  /// The variable each key read came from, by its position in the pool.
  std::map<std::size_t, std::string> key_variables_{};
};

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
/// The values are held to the rules `State::create` holds a `StateConfig` to (`validate`), each
/// refusal naming its variable. All or nothing: on an error `into` is unchanged. A value that
/// could be a secret is never repeated in an error.
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
  if (auto r = detail::EnvReader(prefix, name, env).read(c); !r) return r;
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

}  // namespace governed
