#pragma once
/// @file
/// Accounts and keys of a simulated provider. Providers limit the account (organisation,
/// project, workspace), not the key: two keys of one account draw on one allowance, and a
/// spent quota is spent for both.

#include <governed/sim/limits.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace governed::sim {

/// How the provider treats a key.
enum class KeyStatus : std::uint8_t {
  valid,
  exhausted,  ///< the account's credit or billing quota is spent: 402 or 429 insufficient_quota
  invalid,    ///< unknown, revoked or mistyped: 401 (Gemini: 400 API_KEY_INVALID)
};

constexpr std::string_view to_string(KeyStatus s) noexcept {
  switch (s) {
    case KeyStatus::valid: return "valid";
    case KeyStatus::exhausted: return "exhausted";
    case KeyStatus::invalid: return "invalid";
  }
  return "unknown";
}

/// One organisation or project. Limits for a model come from `models` when it names the
/// model, else from the provider table's `tier` when set and the table knows the model, else
/// from `limits`.
///
/// Billing and access are the account's as well as the key's: `status` exhausted answers
/// every key of the account with the billing error, invalid (a deactivated organisation) with
/// 401. `credit_usd` is a prepaid balance: each success is charged at the table's prices, and
/// once the balance is spent (≤ 0) every key of the account gets the billing error, as
/// OpenAI's and OpenRouter's prepaid accounts do. The last call may overdraw by its own cost,
/// as with the real providers, which charge after the fact.
struct AccountSpec {
  std::string id;
  std::string tier{};
  Limits limits{};
  std::map<std::string, Limits, std::less<>> models{};
  KeyStatus status = KeyStatus::valid;
  std::optional<double> credit_usd{};
};

/// One API key. The key text is only compared; it never appears in a reply, log or message
/// (the request log names the key by its index in the configuration).
struct KeySpec {
  std::string key;
  /// The account it belongs to; empty: an account of its own.
  std::string account{};
  KeyStatus status = KeyStatus::valid;
  /// Models this key may not use: 403 permission errors in the provider's dialect.
  std::vector<std::string> forbidden_models{};
};

}  // namespace governed::sim
