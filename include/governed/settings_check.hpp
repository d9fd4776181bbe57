#pragma once
/// @file
/// The checks every way of configuring a State shares — the environment, a JSON file, and a
/// `StateConfig` built in code (`State::create` runs `check_settings`) — so that a value one
/// path refuses is refused by all, with the same reason.
///
/// Each check returns the reason a value is wrong, never the value: a misplaced key in a URL
/// or a number variable must not be repeated in the message that refuses it.

#include <governed/ascii.hpp>
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

/// Checks what a `StateConfig` says beyond its types: every provider named is in `table`, every
/// tier is one the table lists for its provider, base URLs and keys are usable and
/// redactable, task budgets are in range. Errors (invalid_argument) name the provider, the
/// key's position or the task kind, never a secret.
template <class ProviderSettingsMap>
Result<void> check_settings(const providers::Table& table, const ProviderSettingsMap& providers,
                            const keys::PoolConfig& keys, const TaskBudgetConfig& tasks) {
  for (const auto& [name, s] : providers) {
    if (!table.provider(name))
      return fail(Errc::invalid_argument,
                  fmt::format("settings name provider {}, which the table does not have", detail::shown_name(name)));
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
                              detail::shown_name(k.provider)));
    if (auto why = providers::key_problem(k.key))
      return fail(Errc::invalid_argument, fmt::format("key {} of the pool ({}) {}", i, k.provider, *why));
  }
  if (keys.state_file && keys.state_file->empty())
    return fail(Errc::invalid_argument, "the key-health state file is an empty path");
  return tasks.validate();
}

}  // namespace governed
