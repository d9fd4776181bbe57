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

#include <governed/providers/wait.hpp>

#include <span>
#include <string>
#include <string_view>

namespace governed::providers {

/// What replaces a secret. The public prefix stays (`sk-***`, `org-***`) so a reader can tell
/// which kind of secret was there.
inline constexpr std::string_view redaction_mark = "***";

namespace detail {

constexpr bool is_token_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '_';
}
constexpr bool is_hex(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

constexpr bool is_uuid(std::string_view t) noexcept {
  if (t.size() != 36) return false;
  for (std::size_t i = 0; i < 36; ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? t[i] != '-' : !is_hex(t[i])) return false;
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
      (is_digit(c) ? digit : letter) = true;
    }
    if (letter && digit) return std::string_view{};
  }
  return std::nullopt;
}

}  // namespace detail

/// `text` with every secret replaced: configured `keys` verbatim first (keys shorter than 6
/// characters are ignored: removing every "abc" would destroy the text and protect nothing),
/// then every secret-shaped token.
inline std::string redact(std::string_view text, std::span<const std::string> keys = {}) {
  std::string pass1;
  std::string_view src = text;
  bool any_key = false;
  for (const auto& k : keys) any_key |= k.size() >= 6 && text.find(k) != std::string_view::npos;
  if (any_key) {
    pass1.assign(text);
    for (const auto& k : keys) {
      if (k.size() < 6) continue;
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
    if (tok.size() == 6 && detail::iequals(tok, "bearer") && j + 1 < src.size() && src[j] == ' ' &&
        !detail::is_space(src[j + 1])) {
      out.append(src.substr(copied, j + 1 - copied)).append(redaction_mark);
      j += 1;
      while (j < src.size() && !detail::is_space(src[j]) && src[j] != '"' && src[j] != '\'' &&
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
