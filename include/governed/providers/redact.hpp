#pragma once
/// @file
/// Secret redaction for every text governed shows: provider messages, logs, exceptions.
///
/// Providers echo secrets back: OpenAI names the organisation (`org-…`) in every rate-limit
/// message, Anthropic its organisation UUID, some gateways quote the key they were given. Keys
/// with a known prefix are found by shape (`sk-…` including `sk-ant-…` and `sk-proj-…`,
/// `gsk_…`, `AIza…`, `hf_…`, `xai-…`, `proj_…`, `org-…`/`org_…`, `Bearer …`, UUIDs, long
/// letter-and-digit runs); Azure and Mistral keys have no prefix, so every configured key is
/// also removed verbatim. One linear pass, no backtracking: safe on hostile input.

#include <governed/ascii.hpp>
#include <governed/providers/wait.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace governed::providers {

/// What replaces a secret. The public prefix stays (`sk-***`, `org-***`) so a reader can tell
/// which kind of secret was there.
inline constexpr std::string_view redaction_mark = "***";

namespace detail {

constexpr bool is_token_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || ascii::is_digit(c) || c == '-' || c == '_';
}

constexpr bool is_uuid(std::string_view t) noexcept {
  if (t.size() != 36) return false;
  for (std::size_t i = 0; i < 36; ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? t[i] != '-' : !ascii::is_hex_digit(t[i])) return false;
  }
  return true;
}

/// The prefix to keep when `t` is a secret by shape; empty optional when it is not.
constexpr std::optional<std::string_view> secret_prefix(std::string_view t) noexcept {
  struct Shape {
    std::string_view prefix;
    std::size_t min_rest;  // characters after the prefix, so words like "org-wide" survive
  };
  constexpr Shape shapes[] = {{"sk-", 8},   {"gsk_", 8},  {"AIza", 16}, {"hf_", 16},
                              {"xai-", 16}, {"proj_", 6}, {"org-", 6},  {"org_", 6},
                              {"sess-", 16}, {"r8_", 16}};
  if (t.size() < 10) return std::nullopt;  // shorter than every prefix with its minimum
  for (const auto& s : shapes)
    if (t.front() == s.prefix.front() && t.size() >= s.prefix.size() + s.min_rest &&
        t.starts_with(s.prefix))
      return s.prefix;
  if (is_uuid(t)) return std::string_view{};
  // A long run of letters and digits with both in it is a key or a token (Mistral and Azure
  // keys are 32 such characters); words and numbers are not.
  if (t.size() >= 32) {
    bool letter = false, digit = false;
    for (char c : t) {
      if (c == '-' || c == '_') continue;
      (ascii::is_digit(c) ? digit : letter) = true;
    }
    if (letter && digit) return std::string_view{};
  }
  return std::nullopt;
}

}  // namespace detail

/// The shortest configured key the redactor removes verbatim: removing every "abc" would
/// destroy the text and protect nothing.
inline constexpr std::size_t min_redacted_key_length = 6;

namespace detail {

constexpr bool is_base64_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || ascii::is_digit(c) || c == '+' || c == '/';
}

constexpr int base64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (ascii::is_digit(c)) return c - '0' + 52;
  return c == '+' ? 62 : 63;
}

/// Whether `t` is standard Base64 (padded) of printable ASCII holding a ':' — the
/// `user:password` of an HTTP Basic credential.
constexpr bool is_basic_credential(std::string_view t) noexcept {
  if (t.size() < 8 || t.size() % 4 != 0) return false;
  std::size_t pad = 0;
  while (pad < 2 && t[t.size() - 1 - pad] == '=') ++pad;
  for (std::size_t i = 0; i < t.size() - pad; ++i)
    if (!is_base64_char(t[i])) return false;
  bool colon = false;
  std::uint32_t bits = 0;
  int have = 0;
  for (std::size_t i = 0; i < t.size() - pad; ++i) {
    bits = (bits << 6) | static_cast<std::uint32_t>(base64_value(t[i]));
    have += 6;
    if (have >= 8) {
      have -= 8;
      const auto byte = static_cast<unsigned char>((bits >> have) & 0xFF);
      if (byte < 0x20 || byte > 0x7E) return false;
      colon = colon || byte == ':';
    }
  }
  return colon;
}

}  // namespace detail

/// Why `key` can not be configured, or nothing when it can. The redactor removes a configured
/// key only as written, so a key that could reach a text in another form, or that is too
/// short to remove, would leak unnoticed. Refused:
///
/// - shorter than `min_redacted_key_length` (6) characters;
/// - white space or control characters (a header value, two keys, or a stray newline);
/// - percent-encoding: '%' followed by two hex digits (the decoded key would not be removed);
/// - an HTTP Basic credential: standard Base64 (padded, `+` `/` alphabet, a multiple of 4
///   long) of printable text with a ':' in it (`dXNlcjpwYXNz` is `user:pass`).
///
/// No real provider key is refused: OpenAI `sk-…`/`sk-proj-…`, Anthropic `sk-ant-…`, Groq
/// `gsk_…`, OpenRouter `sk-or-…`, DeepSeek `sk-…` and Gemini `AIza…` (39 characters) are not
/// padded standard Base64 ('-', '_' or a length not a multiple of 4); a 32-character Azure
/// (hex) or Mistral key decodes to bytes that are printable with a ':' far less than once in
/// a billion keys. A local server that takes no key is given none: its provider is configured
/// keyless (`ProviderSettings::keyless`, `PREFIX_KEYLESS=true`, `"keyless": true`).
constexpr std::optional<std::string_view> key_problem(std::string_view key) noexcept {
  if (key.size() < min_redacted_key_length)
    return "is shorter than 6 characters, too short to be kept out of messages "
           "(for a server that takes no key, set its provider keyless and give no key)";
  for (std::size_t i = 0; i < key.size(); ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c <= 0x20 || c == 0x7F) return "contains white space or a control character";
    if (c == '%' && i + 2 < key.size() && ascii::is_hex_digit(key[i + 1]) && ascii::is_hex_digit(key[i + 2]))
      return "is percent-encoded (%XX); give the key as the provider issued it";
  }
  if (detail::is_basic_credential(key))
    return "is a Base64 user:password credential, not an API key; give the key as the provider issued it";
  return std::nullopt;
}

/// `text` with every secret replaced: configured `keys` verbatim first (keys shorter than
/// `min_redacted_key_length` are ignored), then every secret-shaped token.
inline std::string redact(std::string_view text, std::span<const std::string> keys = {}) {
  std::string pass1;
  std::string_view src = text;
  bool any_key = false;
  for (const auto& k : keys) any_key |= k.size() >= min_redacted_key_length && text.find(k) != std::string_view::npos;
  if (any_key) {
    pass1.assign(text);
    for (const auto& k : keys) {
      if (k.size() < min_redacted_key_length) continue;
      for (auto pos = pass1.find(k); pos != std::string::npos;
           pos = pass1.find(k, pos + redaction_mark.size())) {
        pass1.replace(pos, k.size(), redaction_mark);
      }
    }
    src = pass1;
  }
  std::string out;
  out.reserve(src.size());
  // Text is copied in runs up to each secret, not token by token.
  std::size_t copied = 0, i = 0;
  while (i < src.size()) {
    if (!detail::is_token_char(src[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < src.size() && detail::is_token_char(src[j])) ++j;
    const std::string_view tok = src.substr(i, j - i);
    // "Bearer <token>": whatever follows is a credential, whatever its shape.
    if (tok.size() == 6 && ascii::iequals(tok, "bearer") && j + 1 < src.size() && src[j] == ' ' &&
        !ascii::is_space(src[j + 1])) {
      out.append(src.substr(copied, j + 1 - copied)).append(redaction_mark);
      j += 1;
      while (j < src.size() && !ascii::is_space(src[j]) && src[j] != '"' && src[j] != '\'' &&
             src[j] != ',')
        ++j;
      copied = i = j;
      continue;
    }
    if (auto prefix = tok.size() < 10 ? std::nullopt : detail::secret_prefix(tok)) {
      out.append(src.substr(copied, i - copied)).append(*prefix).append(redaction_mark);
      copied = j;
    }
    i = j;
  }
  out.append(src.substr(copied));
  return out;
}

}  // namespace governed::providers
