#pragma once
/// @file
/// The reply classifier: provider, status, headers and the error body's fields in; what the
/// governor should do out (`Verdict`: kind, scope, retryable, wait, rotate_key, detail).
///
/// The rules read a decoded `ErrorBody`, never bytes: each dialect's home reads the body
/// (`dialect::decode_error`), and dialect/classify.hpp classifies a reply's bytes through it.
///
/// The verdict rests on what providers keep stable: the status, the headers, and the error
/// `code`/`type`/`status` fields; the message text is read last and only for the phrases
/// providers use as conventions ("tokens per minute", "try again in 6s"), never matched as a
/// whole. Providers send auth and billing failures as 400 too, so the status alone never
/// decides. Each dialect's peculiarities sit in one small function below.

#include <governed/ascii.hpp>
#include <governed/providers/error_body.hpp>
#include <governed/providers/headers.hpp>
#include <governed/providers/kind.hpp>
#include <governed/providers/network_failure.hpp>
#include <governed/providers/redact.hpp>
#include <governed/providers/table.hpp>
#include <governed/providers/wait.hpp>

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>

namespace governed::providers {

/// A transport failure: retryable only when the request provably never reached the server,
/// or when it is idempotent, so nothing is billed twice. A request its provider's format can
/// not hold is never retried: it would be written the same way again.
inline Verdict classify_network_failure(NetworkFailure f, bool idempotent) noexcept {
  Verdict v;
  v.kind = Kind::network_error;
  v.scope = Scope::provider;
  if (f == NetworkFailure::not_encodable) return v;
  const bool never_sent = f == NetworkFailure::dns || f == NetworkFailure::connect_refused ||
                          f == NetworkFailure::connect_timeout || f == NetworkFailure::tls_handshake;
  v.retryable = never_sent || idempotent;
  return v;
}

namespace detail {

/// The first 4000 bytes of `s`, lowered: the phrases the classifier looks for come early in a
/// message, and a huge body costs no more than that.
inline std::string lowered_head(std::string_view s) { return ascii::lowered(s.substr(0, 4000)); }

inline bool has(std::string_view hay, std::string_view needle) noexcept {
  return hay.find(needle) != std::string_view::npos;
}

template <class... N>
bool has_any(std::string_view hay, N... needles) noexcept {
  return (has(hay, needles) || ...);
}

/// `word` standing alone: not inside a longer word ("rpm" in "rpm_rate_limit_exceeded", not
/// in "rpms").
inline bool has_word(std::string_view hay, std::string_view word) noexcept {
  auto letter = [](char c) { return c >= 'a' && c <= 'z'; };
  for (auto pos = hay.find(word); pos != std::string_view::npos; pos = hay.find(word, pos + 1)) {
    const bool left = pos == 0 || !letter(hay[pos - 1]);
    const bool right = pos + word.size() == hay.size() || !letter(hay[pos + word.size()]);
    if (left && right) return true;
  }
  return false;
}

/// The number after `label` (`Limit 7000`, `Requested ~12903`, `Limit: 200`), commas allowed.
inline std::optional<std::int64_t> number_after(std::string_view lower_text,
                                                std::string_view label) noexcept {
  for (auto pos = lower_text.find(label); pos != std::string_view::npos;
       pos = lower_text.find(label, pos + 1)) {
    std::string_view s = lower_text.substr(pos + label.size());
    while (!s.empty() && (s.front() == ' ' || s.front() == ':' || s.front() == '~' || s.front() == '='))
      s.remove_prefix(1);
    std::int64_t v = 0;
    bool any = false;
    while (!s.empty() && (ascii::is_digit(s.front()) || (any && s.front() == ',' && s.size() > 1 && ascii::is_digit(s[1])))) {
      if (s.front() != ',') {
        if (v > (std::numeric_limits<std::int64_t>::max() - 9) / 10) return std::nullopt;
        v = v * 10 + (s.front() - '0');
        any = true;
      }
      s.remove_prefix(1);
    }
    if (any) return v;
  }
  return std::nullopt;
}

/// Everything the decision reads, lower-cased once.
struct Evidence {
  Evidence(int s, const ErrorBody& b) : status(s), body(b) {}

  int status = 0;
  const ErrorBody& body;  // the caller's, alive for the whole classification
  std::string msg;     // lower-case message (and OpenRouter's upstream text)
  std::string code;    // lower-case
  std::string type;    // lower-case
  std::string gstatus; // lower-case Gemini status
  HeaderSnapshot limits;

  bool code_or_type(std::string_view s) const noexcept { return code == s || type == s; }
  bool reason(std::string_view r) const noexcept {
    return std::any_of(body.reasons.begin(), body.reasons.end(),
                       [&](const std::string& x) { return ascii::iequals(x, r); });
  }
};

inline bool context_signal(const Evidence& e) noexcept {
  if (e.code_or_type("context_length_exceeded")) return true;
  const std::string_view m = e.msg;
  return has_any(m, "maximum context length", "context length", "context window",
                 "prompt is too long", "input is too long", "exceeds the maximum number of tokens",
                 "input token count", "reduce the length", "too large for model with");
}

inline bool content_signal(const Evidence& e) noexcept {
  if (e.code_or_type("content_filter") || e.code_or_type("content_policy_violation") ||
      e.reason("SAFETY"))
    return true;
  const std::string_view m = e.msg;
  return has_any(m, "content management policy", "content policy", "safety system",
                 "responsibleaipolicyviolation", "flagged", "moderation", "usage policies");
}

inline bool billing_signal(const Evidence& e) noexcept {
  if (e.code_or_type("insufficient_quota") || e.code_or_type("billing_hard_limit_reached") ||
      e.code_or_type("billing_not_active") || e.code_or_type("insufficient_balance") ||
      e.code_or_type("payment_required"))
    return true;
  // Gemini's spent prepaid credit, "Your prepayment credits are depleted", has no code of its
  // own (first sent as 429 RESOURCE_EXHAUSTED, later as 402).
  const std::string_view m = e.msg;
  return has_any(m, "credit balance", "insufficient balance", "insufficient credits",
                 "more credits", "can only afford", "billing_hard_limit", "payment method is required",
                 "add a payment method to continue", "prepayment credit", "credits are depleted");
}

inline bool auth_signal(const Evidence& e) noexcept {
  if (e.code_or_type("invalid_api_key") || e.code_or_type("authentication_error") ||
      e.code_or_type("invalid_authentication") || e.code_or_type("unauthorized") ||
      e.code_or_type("account_deactivated") || e.code_or_type("organization_restricted") ||
      e.gstatus == "unauthenticated" || e.reason("API_KEY_INVALID") || e.reason("API_KEY_EXPIRED") ||
      e.reason("API_KEY_SERVICE_BLOCKED"))
    return true;
  const std::string_view m = e.msg;
  return has_any(m, "api key not valid", "invalid api key", "incorrect api key", "invalid x-api-key",
                 "api key expired", "api key was reported as leaked", "no auth credentials",
                 "invalid authentication", "authentication fails", "invalid subscription key",
                 "unregistered callers", "has been deactivated", "has been disabled",
                 "has been suspended", "has been restricted");
}

/// The key may not use what the request names: Anthropic's permission_error, Gemini's
/// PERMISSION_DENIED.
inline bool permission_signal(const Evidence& e) noexcept {
  return e.code_or_type("permission_error") || e.code_or_type("permission_denied") ||
         e.gstatus == "permission_denied";
}

/// `phrase` follows a mention of the model in the same clause: "The model `gpt-7` does not
/// exist", "models/gemini-9 is not found", "Publisher Model `projects/…/models/x` was not
/// found". A clause ends at ", ", "; " or ". " (a dot inside "gemini-1.5-flash" does not end
/// one), so "model" in one clause and "not found" in the next do not pair.
inline bool model_then(std::string_view m, std::string_view phrase) noexcept {
  constexpr std::size_t reach = 160;  // the longest model path seen (Vertex) is ~120 characters
  for (auto pos = m.find("model"); pos != std::string_view::npos; pos = m.find("model", pos + 1)) {
    const std::string_view clause = m.substr(pos, reach);
    const std::size_t hit = clause.find(phrase);
    if (hit == std::string_view::npos) continue;
    const std::string_view between = clause.substr(0, hit);
    if (!has_any(between, ", ", "; ", ". ")) return true;
  }
  return false;
}

/// The model the request names is unknown, retired, not deployed, or cannot serve this
/// operation: no request to it can succeed here, another model can, so the walk moves on.
/// The codes come first; the words count only when they say that the model itself is what is
/// missing, never when a parameter is not supported "with this model" (OpenAI's 400
/// unsupported_parameter is the request's fault and stays bad_request).
inline bool model_unusable_signal(const Evidence& e) noexcept {
  if (e.code_or_type("model_not_found") ||       // OpenAI, Groq, Together (404)
      e.code_or_type("model_decommissioned") ||  // Groq (400)
      e.code_or_type("model_not_active") ||
      e.code_or_type("model_not_available") ||   // Together: a model without a serverless endpoint
      e.code_or_type("invalid_model") ||         // Mistral (400, code "1500")
      e.code_or_type("unknown_model") ||         // Azure AI model inference (404)
      e.code_or_type("deploymentnotfound"))      // Azure OpenAI (404)
    return true;
  const std::string_view m = e.msg;
  // Azure: "The chatCompletion operation does not work with the specified model, x. Please
  // choose different model and try again."
  if (e.code_or_type("operationnotsupported") && has(m, "model")) return true;
  // Anthropic answers an unknown model with 404 not_found_error "model: <name>"; OpenRouter a
  // retired one with 404 "No endpoints found for <model>." (or none that support tools).
  // A 404 that names no model is a wrong path, not a wrong model.
  if (e.status == 404 && (has(m, "model") || has_any(m, "no endpoints found", "no endpoints available")))
    return true;
  if (has_any(m, "is not a valid model",   // OpenRouter (400): "x is not a valid model ID"
              "invalid model",             // Mistral "Invalid model: x", LiteLLM "Invalid model name"
              "unknown model",             // "Unknown model: x"
              "model not exist",           // DeepSeek (400): "Model Not Exist"
              "model not found", "no such model",
              "model identifier is invalid"))  // Bedrock (400): "The provided model identifier is invalid."
    return true;
  for (std::string_view phrase : {"does not exist", "not found", "has been decommissioned",
                                  "has been deprecated", "is deprecated", "no longer supported",
                                  "no longer available"})
    if (model_then(m, phrase)) return true;
  return false;
}

/// Capacity, not the caller's allowance. "Try again later" alone is weak: Anthropic ends its
/// per-minute rate-limit messages with it, so it counts only when `weak` is allowed.
inline bool overload_signal(const Evidence& e, bool weak) noexcept {
  if (e.code_or_type("overloaded_error") || e.code_or_type("overloaded") ||
      e.code_or_type("service_unavailable") || e.code_or_type("server_overloaded"))
    return true;
  const std::string_view m = e.msg;
  if (has_any(m, "overloaded", "high demand", "peak load", "capacity exceeded", "over capacity",
              "exceeds the maximum usage size", "rate-limited upstream", "out of capacity"))
    return true;
  return weak && has_any(m, "try again later", "temporarily unavailable");
}

enum class Unit : std::uint8_t { none, requests, tokens };

/// Which dimension a rate-limit text or type names.
inline Unit unit_of(const Evidence& e) noexcept {
  // OpenAI and Groq put the dimension in `type`: "tokens", "requests", "tokens_usage_based"
  // (and "invalid_request_error" is not one of them).
  if (e.type.starts_with("token")) return Unit::tokens;
  if (e.type.starts_with("request")) return Unit::requests;
  const std::string_view m = e.msg;
  static constexpr std::string_view token_phrases[] = {
      "tokens per min", "tokens per day", "tokens per second", "(tpm)", "(tpd)", "(itpm)",
      "(otpm)", "token rate limit", "tokens rate limit", "input tokens per", "output tokens per",
      "too many tokens", "number of tokens", "request tokens", "token limit", "tokens per hour"};
  static constexpr std::string_view request_phrases[] = {
      "requests per min", "requests per day", "requests per second", "(rpm)", "(rpd)",
      "call rate limit", "request rate limit", "requests rate limit", "number of requests",
      "free-models-per-min", "requests per hour", "request limit", "queries per"};
  std::size_t tok = std::string_view::npos, req = std::string_view::npos;
  for (auto p : token_phrases) tok = std::min(tok, m.find(p));
  for (auto p : request_phrases) req = std::min(req, m.find(p));
  if (tok != std::string_view::npos || req != std::string_view::npos) return tok < req ? Unit::tokens : Unit::requests;
  // The abbreviations, in the text or in a code ("rpm_rate_limit_exceeded").
  for (std::string_view t : {std::string_view{e.code}, m}) {
    if (has_word(t, "tpm") || has_word(t, "tpd") || has_word(t, "itpm") || has_word(t, "otpm")) return Unit::tokens;
    if (has_word(t, "rpm") || has_word(t, "rpd") || has_word(t, "rps")) return Unit::requests;
  }
  // "Too many requests, please wait" names a dimension; the bare reason phrase does not.
  if (has(m, "too many requests")) {
    std::string_view t = ascii::trim(m);
    while (!t.empty() && (t.back() == '.' || t.back() == '!')) t.remove_suffix(1);
    if (t != "too many requests") return Unit::requests;
  }
  // No words: the headers say which dimension ran out.
  const bool req0 = e.limits.requests.remaining == 0;
  const bool tok0 = e.limits.tokens.remaining == 0 || e.limits.input_tokens.remaining == 0 ||
                    e.limits.output_tokens.remaining == 0;
  if (req0 != tok0) return req0 ? Unit::requests : Unit::tokens;
  return Unit::none;
}

/// "per day", "per-day", "/ day", "daily", "(RPD)", "TPD:": but not "today" (Groq's TPM
/// messages end "Upgrade to Dev Tier today").
inline bool daily_signal(std::string_view m) noexcept {
  for (auto pos = m.find('d'); pos != std::string_view::npos; pos = m.find('d', pos + 1)) {
    const std::string_view before = m.substr(0, pos), from = m.substr(pos);
    if (from.starts_with("day") && (before.ends_with("per ") || before.ends_with("per-") ||
                                    before.ends_with("/ ") || before.ends_with("/")))
      return true;
    if (from.starts_with("daily")) return true;
    if (pos >= 2 && (m[pos - 2] == 'r' || m[pos - 2] == 't') && m[pos - 1] == 'p' &&
        (pos + 1 == m.size() || !(m[pos + 1] >= 'a' && m[pos + 1] <= 'z')))
      return true;  // rpd, tpd
  }
  return false;
}

/// Gemini and Vertex: RESOURCE_EXHAUSTED is a quota when QuotaFailure names one (its quotaId
/// says the window and the dimension), shared capacity when Vertex says "try again later",
/// and an unnamed rate limit otherwise. The prose ("check your plan and billing") is the
/// same for all of them and decides nothing; spent prepaid credit, which shares the status
/// and carries no details, is told apart before this (`billing_signal`).
inline Kind gemini_rate_limit(const Evidence& e) noexcept {
  if (!e.body.quota_ids.empty()) {
    // Several quotas can be exceeded at once (tokens per minute, requests per minute and per
    // day): the longest window decides, because it is the one that will not clear by waiting.
    int best = -1;
    Kind kind = Kind::rate_limit_unspecified;
    for (const auto& id : e.body.quota_ids) {
      const std::string q = lowered_head(id);
      const bool tokens = has(q, "token"), requests = has(q, "request");
      int rank;
      Kind k;
      if (has_any(q, "permonth", "monthly")) {
        rank = 3;
        k = Kind::quota_monthly;
      } else if (has_any(q, "perday", "per_day", "daily")) {
        rank = 2;
        k = tokens ? Kind::rate_limit_tokens_daily : requests ? Kind::rate_limit_requests_daily : Kind::quota_daily;
      } else if (tokens || requests || has_any(q, "perminute", "per_minute", "persecond")) {
        rank = 1;
        k = tokens ? Kind::rate_limit_tokens : Kind::rate_limit_requests;
      } else {
        rank = 0;
        k = Kind::rate_limit_unspecified;
      }
      if (rank > best) {
        best = rank;
        kind = k;
      }
    }
    return kind;
  }
  if (has(e.msg, "quota")) return Kind::rate_limit_unspecified;
  if (overload_signal(e, true) || e.reason("rateLimitExceeded")) return Kind::overloaded;
  return Kind::rate_limit_unspecified;
}

/// Every other dialect's rate-limit family, read from type, code and the conventional phrases.
inline Kind rate_limit_kind(Dialect d, const Evidence& e) noexcept {
  const std::string_view m = e.msg;
  if (d == Dialect::gemini || e.gstatus == "resource_exhausted") {
    // "Your prepayment credits are depleted" came as 429 RESOURCE_EXHAUSTED like every quota:
    // no wait brings the credit back, so it is billing, whatever the status says.
    if (billing_signal(e)) return Kind::insufficient_quota_billing;
    return gemini_rate_limit(e);
  }
  // OpenAI's and Groq's `code: rate_limit_exceeded` rules out billing (insufficient_quota has
  // its own code) and capacity (server_error): only the window and the dimension remain.
  if (e.code == "rate_limit_exceeded" && (e.type.starts_with("token") || e.type.starts_with("request"))) {
    const bool tokens = e.type.starts_with("token");
    if (daily_signal(m)) return tokens ? Kind::rate_limit_tokens_daily : Kind::rate_limit_requests_daily;
    return tokens ? Kind::rate_limit_tokens : Kind::rate_limit_requests;
  }
  // A 429 that says "quota" with insufficient_quota (OpenAI) is billing, not a rate.
  if (billing_signal(e) || (d != Dialect::gemini && has(m, "exceeded your current quota")))
    return Kind::insufficient_quota_billing;
  if (d == Dialect::openrouter || has(m, "free-models-per-day")) {
    // OpenRouter counts free-model requests per account per day: a quota, not a window.
    if (has_any(m, "per-day", "per day")) return Kind::quota_daily;
  }
  // An explicit rate-limit type or code outranks the weak capacity phrases.
  const bool explicit_rate_limit = e.code_or_type("rate_limit_error") ||
                                   e.code_or_type("rate_limit_exceeded") || e.code_or_type("rate_limited");
  if (overload_signal(e, !explicit_rate_limit) || e.code_or_type("server_error")) return Kind::overloaded;
  if (has_any(m, "per month", "monthly", "per-month")) return Kind::quota_monthly;
  const Unit unit = unit_of(e);
  if (daily_signal(m)) {
    if (unit == Unit::tokens) return Kind::rate_limit_tokens_daily;
    if (unit == Unit::requests) return Kind::rate_limit_requests_daily;
    return Kind::quota_daily;
  }
  if (unit == Unit::tokens) return Kind::rate_limit_tokens;
  if (unit == Unit::requests) return Kind::rate_limit_requests;
  return Kind::rate_limit_unspecified;
}

inline bool rate_limit_shape(const Evidence& e) noexcept {
  return e.code_or_type("rate_limit_exceeded") || e.code_or_type("rate_limit_error") ||
         e.code_or_type("rate_limited") || e.gstatus == "resource_exhausted" ||
         has(e.msg, "rate limit");
}

/// Statuses and fields that hold in every dialect, then each dialect's exceptions.
inline Kind decide(Dialect d, const Evidence& e) noexcept {
  const int s = e.status;
  const std::string_view m = e.msg;
  // Anthropic's and others' explicit types win over the status they came with.
  if (e.code_or_type("overloaded_error")) return Kind::overloaded;
  if (d == Dialect::anthropic && e.type == "api_error") return s == 503 || s == 529 ? Kind::overloaded : Kind::server_error;
  if (s == 429 || (s == 413 && rate_limit_shape(e)) || e.code_or_type("rate_limit_error") ||
      (s >= 400 && s < 500 && e.code_or_type("rate_limit_exceeded")))
    return rate_limit_kind(d, e);
  if (s >= 500 || s == 498) {
    if (s == 503 || s == 529 || s == 498 || overload_signal(e, true)) return Kind::overloaded;
    return Kind::server_error;
  }
  if (s == 408) return Kind::server_error;
  if (s == 402) return Kind::insufficient_quota_billing;
  // The rest of 4xx: the fields and phrases decide, in order of how specific they are.
  if (auth_signal(e) || s == 401) return Kind::auth;
  // A spend cap set on the key itself (OpenRouter: "Key limit exceeded (daily limit)").
  if (has(m, "key limit exceeded")) {
    if (has(m, "daily")) return Kind::quota_daily;
    if (has_any(m, "weekly", "monthly")) return Kind::quota_monthly;
    return Kind::insufficient_quota_billing;
  }
  if (billing_signal(e)) return Kind::insufficient_quota_billing;
  if (has_any(m, "usage limit", "spend limit", "spending limit")) {
    return has_any(m, "day", "daily") && !has_any(m, "month", "regain access") ? Kind::quota_daily
                                                                              : Kind::quota_monthly;
  }
  if (context_signal(e)) return Kind::context_length_exceeded;
  if (content_signal(e)) return Kind::content_filter;
  if ((model_unusable_signal(e) || permission_signal(e)) && (s == 400 || s == 403 || s == 404))
    return Kind::permission_denied;
  // The provider refuses this caller's region: no request to it can succeed, others may.
  if (has_any(m, "location is not supported", "unsupported_country", "country, region, or territory not supported"))
    return Kind::permission_denied;
  if (s == 403) return Kind::permission_denied;
  if (s == 413 && has(m, "token")) return Kind::context_length_exceeded;
  return Kind::bad_request;
}

struct Defaults {
  Scope scope;
  bool retryable;
  bool rotate_key;
};

inline Defaults defaults_for(Kind k, const Provider* p) noexcept {
  const Scope rate_scope = p && p->limits_per_key && !p->limits_per_account ? Scope::key : Scope::account;
  switch (k) {
    case Kind::success: return {Scope::request, false, false};
    case Kind::rate_limit_requests:
    case Kind::rate_limit_tokens:
    case Kind::rate_limit_unspecified: return {rate_scope, true, false};
    case Kind::rate_limit_requests_daily:
    case Kind::rate_limit_tokens_daily: return {rate_scope, true, true};
    case Kind::quota_daily:
    case Kind::quota_monthly:
    case Kind::insufficient_quota_billing: return {rate_scope, false, true};
    case Kind::overloaded: return {Scope::model, true, false};
    case Kind::server_error: return {Scope::provider, true, false};
    case Kind::auth: return {Scope::key, false, true};
    case Kind::permission_denied: return {Scope::model, false, false};
    case Kind::bad_request: return {Scope::request, false, false};
    case Kind::context_length_exceeded: return {Scope::model, false, false};
    case Kind::content_filter: return {Scope::request, false, false};
    case Kind::network_error: return {Scope::provider, false, false};
  }
  return {Scope::request, false, false};
}

/// `text` cut to at most `n` bytes without splitting a UTF-8 sequence.
inline std::string_view utf8_prefix(std::string_view text, std::size_t n) noexcept {
  if (text.size() <= n) return text;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return text.substr(0, n);
}

/// A calendar date in prose (`regain access on 2025-07-01 at 00:00 UTC`), for monthly quotas
/// that name the day they come back.
inline std::optional<WallTime> find_date_in_text(std::string_view text) noexcept {
  for (std::size_t i = 0; i + 10 <= text.size(); ++i) {
    if (!ascii::is_digit(text[i]) || (i > 0 && ascii::is_digit(text[i - 1]))) continue;
    auto y = take_fixed(text, i, 4), mo = take_fixed(text, i + 5, 2), d = take_fixed(text, i + 8, 2);
    if (!y || !mo || !d || text[i + 4] != '-' || text[i + 7] != '-') continue;
    int h = 0, mi = 0;
    std::string_view rest = text.substr(i + 10);
    if (rest.starts_with(" at ") || rest.starts_with("T") || rest.starts_with(" ")) {
      const std::size_t off = rest.starts_with(" at ") ? 4 : 1;
      auto hh = take_fixed(rest, off, 2), mm = take_fixed(rest, off + 3, 2);
      if (hh && mm && rest.size() > off + 2 && rest[off + 2] == ':') {
        h = *hh;
        mi = *mm;
      }
    }
    if (auto t = civil(*y, *mo, *d, h, mi, 0)) return t;
  }
  return std::nullopt;
}

}  // namespace detail

namespace detail {

/// What an error reply says, read once for the rules: its body's fields (lower-cased, cut to
/// their first 4000 bytes) and its limit readings — `header_limits`, or when the headers
/// carry none, the upstream's headers that OpenRouter copies into the body.
inline Evidence read_evidence(int status, const ErrorBody& body, HeaderSnapshot header_limits, WallTime now,
                              const HeaderWindows& windows) {
  Evidence e(status, body);
  e.msg = lowered_head(e.body.message);
  if (!e.body.upstream.empty()) e.msg += " " + lowered_head(e.body.upstream);
  e.code = lowered_head(e.body.code);
  e.type = lowered_head(e.body.type);
  e.gstatus = lowered_head(e.body.status);
  e.limits = std::move(header_limits);
  if (!e.body.meta_headers.empty()) {
    std::vector<Header> hs;
    for (const auto& [k, val] : e.body.meta_headers) hs.push_back({k, val});
    const HeaderSnapshot meta = read_limit_headers(HeaderView{hs}, now, windows);
    if (e.limits.empty()) e.limits = meta;
  }
  return e;
}

/// Whether waiting can change a verdict of this kind. Request-level failures carry no wait.
inline bool waits(Kind k) noexcept {
  return is_rate_limit(k) || k == Kind::overloaded || k == Kind::server_error || k == Kind::quota_daily ||
         k == Kind::quota_monthly;
}

/// The wait the reply's retry headers state: `retry-after-ms`, `x-ms-retry-after-ms`, then
/// `retry-after` (seconds or an HTTP date, read against the reply's own `date`).
inline std::optional<Duration> retry_header_wait(const HeaderView& headers, const Evidence& e, WallTime now) {
  if (auto h = headers.get("retry-after-ms"))
    if (auto w = parse_number_wait(*h, std::chrono::milliseconds{1})) return w;
  if (auto h = headers.get("x-ms-retry-after-ms"))
    if (auto w = parse_number_wait(*h, std::chrono::milliseconds{1})) return w;
  const auto h = headers.get("retry-after");
  if (!h) return std::nullopt;
  std::optional<WallTime> reply_date;
  if (auto d = headers.get("date")) reply_date = parse_http_date(*d);
  const std::optional<Duration> whole = parse_retry_after(*h, reply_date, now);
  if (!whole) return std::nullopt;
  // `retry-after` counts whole seconds, rounded up (Groq: 1367 for "try again in
  // 22m46.848s"); the body's finer figure within that second is the exact one.
  std::optional<Duration> fine = e.body.retry_delay;
  if (!fine) fine = find_wait_in_lower(e.msg);
  if (fine && *fine <= *whole && *whole - *fine < std::chrono::seconds{1}) return fine;
  return whole;
}

/// The wait the reset headers give: the latest reset among the dimensions that ran out, else
/// the reset of the one the verdict names.
inline std::optional<Duration> reset_header_wait(Kind k, const HeaderSnapshot& l) {
  auto usable = [](const LimitReading& r) {
    return r.reset_after && *r.reset_after > Duration::zero() && r.limit ? r.reset_after : std::nullopt;
  };
  std::optional<Duration> w;
  for (const LimitReading* r : {&l.requests, &l.tokens, &l.input_tokens, &l.output_tokens})
    if (r->remaining == 0)
      if (auto u = usable(*r); u && (!w || *u > *w)) w = u;
  if (!w && k == Kind::rate_limit_tokens) w = usable(l.tokens);
  if (!w && k == Kind::rate_limit_requests) w = usable(l.requests);
  return w;
}

/// The first usable wait a reply states, in the order providers mean them: retry headers,
/// reset headers, the body's retry delay, a wait in the message (then the upstream's), and
/// for a monthly quota the date its message names.
inline std::optional<Duration> stated_wait(Kind k, const HeaderView& headers, const Evidence& e, WallTime now) {
  if (auto w = retry_header_wait(headers, e, now)) return w;
  if (auto w = reset_header_wait(k, e.limits)) return w;
  if (e.body.retry_delay) return e.body.retry_delay;
  if (auto w = find_wait_in_lower(e.msg)) return w;
  if (k == Kind::quota_monthly)
    if (auto t = find_date_in_text(e.body.message)) return wait_until(*t, now);
  return std::nullopt;
}

/// What was asked and what fits, as the message states them. A request larger than the
/// limit itself never fits, however long it waits: not retryable, and no wait.
inline void read_sizes(Verdict& v, const Evidence& e) {
  if (is_rate_limit(v.kind)) {
    v.requested = number_after(e.msg, "requested");
    v.limit = number_after(e.msg, "limit");
    // A quota of 0 (Gemini's free tier for a model it does not offer there) fits nothing.
    if (e.body.quota_zero) v.limit = 0;
    if ((v.requested && v.limit && *v.requested > *v.limit) || v.limit == 0) {
      v.retryable = false;
      v.wait.reset();
    }
  } else if (v.kind == Kind::context_length_exceeded) {
    v.limit = number_after(e.msg, "maximum context length is");
    v.requested = number_after(e.msg, "resulted in");
  }
}

/// When a spent quota comes back: after the stated wait, else at the provider's daily reset
/// (a monthly quota without a stated wait has none known). Nothing for other kinds.
inline std::optional<WallTime> exhaustion_resets_at(const Verdict& v, const Provider* provider, WallTime now) {
  if (!is_exhaustion(v.kind) || v.kind == Kind::insufficient_quota_billing) return std::nullopt;
  if (v.wait) return now + *v.wait;
  if (provider && v.kind != Kind::quota_monthly) return next_daily_reset(*provider, now);
  return std::nullopt;
}

}  // namespace detail

/// Whether the classifier reads the body of a reply with `status`: an error status. A success
/// is a success whatever its body says, and a status no server sends is a network error.
constexpr bool reads_error_body(int status) noexcept {
  return status >= 100 && status <= 599 && !(status >= 200 && status < 300);
}

/// Classifies one reply from `provider` (a table entry: its dialect, header windows and
/// daily-reset rule are used): its status, its headers and its error body's fields, read in
/// the provider's dialect (empty unless `reads_error_body(status)`). `now` is the wall-clock
/// time the reply arrived.
inline Verdict classify(const Provider* provider, Dialect dialect, int status, const HeaderView& headers,
                        const ErrorBody& body, WallTime now) {
  Verdict v;
  const HeaderWindows windows = provider ? provider->windows : HeaderWindows{};
  v.limits = read_limit_headers(headers, now, windows);
  const int s = status;
  if (s >= 200 && s < 300) {
    v.kind = Kind::success;
    return v;
  }
  if (s < 100 || s > 599) {
    v.kind = Kind::network_error;
    v.scope = Scope::provider;
    v.detail = fmt::format("no valid HTTP status ({})", s);
    return v;
  }

  const detail::Evidence e = detail::read_evidence(status, body, v.limits, now, windows);
  v.limits = e.limits;
  v.kind = detail::decide(dialect, e);
  const auto def = detail::defaults_for(v.kind, provider);
  v.scope = def.scope;
  v.retryable = def.retryable;
  v.rotate_key = def.rotate_key;

  std::string_view msg = e.body.message;
  if (msg.empty()) msg = e.body.upstream;
  v.detail = redact(detail::utf8_prefix(msg, 300));

  if (detail::waits(v.kind)) v.wait = detail::stated_wait(v.kind, headers, e, now);
  detail::read_sizes(v, e);
  v.resets_at = detail::exhaustion_resets_at(v, provider, now);
  return v;
}

/// The dialect a provider name is read in: the table's entry, else the OpenAI dialect plus
/// the generic rules (every OpenAI-compatible server: vLLM, LiteLLM, Together, Bedrock's
/// gateway).
inline const Provider* find_provider(const Table& table, std::string_view name) noexcept {
  if (const auto* p = table.provider(name)) return p;
  if (name == "google" || name == "vertex") return table.provider("gemini");
  if (name == "claude") return table.provider("anthropic");
  return nullptr;
}

}  // namespace governed::providers
