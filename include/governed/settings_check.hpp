#pragma once
/// @file
/// The checks every way of configuring a State shares — the environment, a JSON file, and a
/// `StateConfig` built in code (`State::create` runs `check_settings`) — so that a value one
/// path refuses is refused by all, with the same reason.
///
/// Each check returns the reason a value is wrong, never the value: a misplaced key in a URL
/// or a number variable must not be repeated in the message that refuses it.

#include <governed/budget/task.hpp>
#include <governed/error.hpp>
#include <governed/keys/pool.hpp>
#include <governed/providers/redact.hpp>
#include <governed/providers/table.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace governed {

namespace detail {

/// Why `url` can not be a provider's base URL, or nothing. It must be http:// or https://,
/// name a host, hold no white space or control character, and carry no `user:password@`:
/// credentials in a URL end up in logs and error texts, and providers take keys in headers.
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

/// "<value> <reason>" when the value may be shown, else the reason alone.
inline std::string subject(std::string_view value, std::string_view reason) {
  const std::string shown = shown_value(value);
  return shown.empty() ? std::string(reason) : fmt::format("{} {}", shown, reason);
}

}  // namespace detail

/// Checks what a `StateConfig` says beyond its types: every provider named is in `table`, every
/// tier is one the table lists for its provider, base URLs and keys are usable and
/// redactable, task budgets are in range. Errors (invalid_argument) name the provider, the
/// key's position or the task kind, never a secret.
template <class ProviderSettingsMap>
Result<void> check_settings(const providers::Table& table, const ProviderSettingsMap& providers,
                            const keys::PoolConfig& keys, const TaskBudgetConfig& tasks) {
  for (const auto& [name, s] : providers) {
    if (!table.provider(name))
      return fail(Errc::invalid_argument, fmt::format("settings name provider {}, which the table does not have", name));
    if (auto why = providers::tier_problem(table, name, s.tier))
      return fail(Errc::invalid_argument, fmt::format("{}: the tier {}", name, detail::subject(s.tier, *why)));
    if (s.base_url)
      if (auto why = detail::base_url_problem(*s.base_url))
        return fail(Errc::invalid_argument, fmt::format("{}: {}", name, *why));
  }
  for (std::size_t i = 0; i < keys.keys.size(); ++i) {
    const auto& k = keys.keys[i];
    if (!table.provider(k.provider))
      return fail(Errc::invalid_argument,
                  fmt::format("key {} names provider {}, which the table does not have", i,
                              detail::shown_value(k.provider).empty() ? "?" : k.provider));
    if (auto why = providers::key_problem(k.key))
      return fail(Errc::invalid_argument, fmt::format("key {} of the pool ({}) {}", i, k.provider, *why));
  }
  if (keys.state_file && keys.state_file->empty())
    return fail(Errc::invalid_argument, "the key-health state file is an empty path");
  return tasks.validate();
}

}  // namespace governed
