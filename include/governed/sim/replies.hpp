#pragma once
/// @file
/// Replies in each provider's own words: success bodies with usage, the rate-limit, billing,
/// auth, permission and capacity errors each provider really sends (status, words, codes,
/// `retry-after`), and the rate-limit headers it puts on every reply. The texts follow the
/// providers' replies collected in tests/data/provider_replies.jsonl, so the classifier reads a
/// simulated reply exactly as it reads the real one. What is said is here; how it is written
/// (the JSON shape of each dialect) is its home's `encode_completion` and `encode_error`
/// (dialect/reply.hpp, dialect/<home>/error.hpp).

#include <governed/dialect/anthropic/error.hpp>
#include <governed/dialect/azure/error.hpp>
#include <governed/dialect/gemini/error.hpp>
#include <governed/dialect/openai/error.hpp>
#include <governed/dialect/reply.hpp>
#include <governed/dialect/reply_meta.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/error_body.hpp>
#include <governed/providers/headers.hpp>
#include <governed/providers/table.hpp>
#include <governed/sim/call.hpp>
#include <governed/sim/meter.hpp>
#include <governed/time.hpp>
#include <governed/wire/time.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::sim {

/// The errors a provider answers besides rate limits.
enum class Failure : std::uint8_t {
  billing,        ///< credit or billing quota spent
  invalid_key,    ///< the key is not accepted
  forbidden,      ///< the key may not use this model
  unknown_model,  ///< no such model
  overloaded,     ///< over capacity (Anthropic 529, others 503)
  server_error,   ///< 500
};

/// Who is answering and about what: enough to word a reply.
struct Speaker {
  const providers::Provider& provider;
  std::string_view model;
  std::string_view account;
  WallTime wall;
  std::uint64_t serial = 0;  ///< numbers ids of replies (`chatcmpl-…`, `req_…`)
};

/// The limit readings for the headers, by the window each header family reports.
struct Readings {
  std::optional<Reading> requests_minute{}, requests_day{}, tokens_minute{}, tokens_day{},
      input_minute{}, output_minute{};
};

namespace replies_detail {

using providers::Dialect;

inline std::string_view words(Measure m) noexcept {
  switch (m) {
    case Measure::requests: return "requests";
    case Measure::tokens: return "tokens";
    case Measure::input_tokens: return "input tokens";
    case Measure::output_tokens: return "output tokens";
  }
  return "tokens";
}

inline std::string abbreviation(Measure m, Span s) {
  const char* w = m == Measure::requests ? "R" : m == Measure::tokens ? "T" : m == Measure::input_tokens ? "IT" : "OT";
  return fmt::format("{}P{}", w, s == Span::minute ? "M" : "D");
}

/// "50,000": Anthropic prints limits with thousands separators.
inline std::string grouped(std::int64_t v) {
  std::string digits = std::to_string(v), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

inline ProviderReply reply(int status, std::string body) { return ProviderReply{status, {}, std::move(body), {}}; }

/// What an error says: its message, and the code, type and status words its dialect uses.
inline providers::ErrorBody said(std::string message, std::string code = {}, std::string type = {}, std::string status = {}) {
  providers::ErrorBody e;
  e.message = std::move(message);
  e.code = std::move(code);
  e.type = std::move(type);
  e.status = std::move(status);
  return e;
}

/// OpenAI's error, also Groq's and DeepSeek's: an empty `code` is written as null.
inline ProviderReply openai_error(int status, std::string message, std::string type, std::string code) {
  return reply(status, dialect::openai::encode_error(said(std::move(message), std::move(code), std::move(type))));
}

inline ProviderReply anthropic_error(int status, std::string type, std::string message, std::uint64_t serial) {
  const std::string request_id = fmt::format("req_sim{:016x}", serial);
  return reply(status, dialect::anthropic::encode_error(said(std::move(message), {}, std::move(type)),
                                                        {.request_id = request_id}));
}

inline ProviderReply gemini_error(int status, std::string grpc_status, std::string message,
                                  const dialect::gemini::ErrorDetails& details = {}, std::vector<std::string> reasons = {},
                                  std::optional<Duration> retry_delay = std::nullopt) {
  providers::ErrorBody e = said(std::move(message), std::to_string(status), {}, std::move(grpc_status));
  e.reasons = std::move(reasons);
  e.retry_delay = retry_delay;
  return reply(status, dialect::gemini::encode_error(e, details));
}

inline ProviderReply azure_error(int status, std::string code, std::string message) {
  return reply(status, dialect::azure::encode_error(said(std::move(message), std::move(code))));
}

inline ProviderReply mistral_error(int status, std::string message, std::string type, std::string code) {
  return reply(status, dialect::openai::encode_error(said(std::move(message), std::move(code), std::move(type)), Dialect::mistral));
}

inline ProviderReply openrouter_error(int status, std::string message) {
  return reply(status, dialect::openai::encode_error(said(std::move(message), std::to_string(status)), Dialect::openrouter));
}

/// What the refusal is about, in the words every 429 uses.
struct Refused {
  bool day;
  std::string abbr;   ///< RPM, TPD, ITPM…
  std::string again;  ///< the wait as a Go duration ("12.345s"), empty without one
  std::string type;   ///< OpenAI's error type: "requests" or "tokens"
};

inline Refused refused(const Refusal& r) {
  return {r.span == Span::day, abbreviation(r.measure, r.span), r.wait ? wire::go_duration(*r.wait) : std::string{},
          r.measure == Measure::requests ? "requests" : "tokens"};
}

inline ProviderReply groq_429(const Speaker& s, const Refusal& r, const Refused& x) {
  if (!r.wait) {
    return openai_error(413, fmt::format(
        "Request too large for model `{}` in organization `{}` service tier `on_demand` on {} per {} ({}): "
        "Limit {}, Requested {}, please reduce your message size and try again. Need more tokens? "
        "Upgrade to Dev Tier today at https://console.groq.com/settings/billing",
        s.model, s.account, words(r.measure), x.day ? "day" : "minute", x.abbr, r.limit, r.requested), x.type, "rate_limit_exceeded");
  }
  const std::string tail = x.day ? "Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing"
                                 : "Visit https://console.groq.com/docs/rate-limits for more information.";
  return openai_error(429, fmt::format(
      "Rate limit reached for model `{}` in organization `{}` service tier `on_demand` on {} per {} ({}): "
      "Limit {}, Used {}, Requested {}. Please try again in {}. {}",
      s.model, s.account, words(r.measure), x.day ? "day" : "minute", x.abbr, r.limit, r.used, r.requested, x.again, tail),
      x.type, "rate_limit_exceeded");
}

inline ProviderReply anthropic_429(const Speaker& s, const Refusal& r, const Refused& x) {
  return anthropic_error(429, "rate_limit_error", fmt::format(
      "This request would exceed the rate limit for your organization ({}) of {} {} per {}. For details, "
      "refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current "
      "usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may "
      "also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate "
      "limit increase.", s.account, grouped(r.limit), words(r.measure), x.day ? "day" : "minute"), s.serial);
}

/// Gemini names the quota that refused and states its wait in RetryInfo.
inline ProviderReply gemini_429(const Speaker& s, const Refusal& r, const Refused& x) {
  const bool req = r.measure == Measure::requests;
  const std::string quota_id = req ? fmt::format("GenerateRequestsPer{}PerProjectPerModel", x.day ? "Day" : "Minute")
                                   : fmt::format("GenerateContentInputTokensPerModelPer{}", x.day ? "Day" : "Minute");
  const std::string metric = req ? (x.day ? "generate_requests_per_model_per_day" : "generate_requests_per_model")
                                 : "generate_content_input_token_count";
  dialect::gemini::ErrorDetails details{
      .violations = {{"generativelanguage.googleapis.com/" + metric, quota_id, std::string(s.model), r.limit}},
      .help_description = "Learn more about Gemini API quotas",
      .help_url = "https://ai.google.dev/gemini-api/docs/rate-limits"};
  return gemini_error(429, "RESOURCE_EXHAUSTED",
      "You exceeded your current quota, please check your plan and billing details. For more information on "
      "this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.", details, {}, r.wait);
}

inline ProviderReply azure_429(const Refusal& r, const Refused& x) {
  return azure_error(429, "429", fmt::format(
      "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have "
      "exceeded {}{} rate limit of your current AIServices S0 pricing tier. Please retry after {} seconds. "
      "Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.",
      x.day ? "the daily " : "", r.measure == Measure::requests ? "call" : "token",
      r.wait ? wire::delay_seconds(*r.wait) : 60));
}

inline ProviderReply mistral_429(const Refusal& r, const Refused& x) {
  const std::string what = r.measure == Measure::requests ? "Requests" : "Tokens";
  return mistral_error(429, x.day ? fmt::format("{} per day rate limit exceeded", what) : fmt::format("{} rate limit exceeded", what),
                       "rate_limited", "1300");
}

inline ProviderReply openrouter_429(const Speaker& s, const Refusal& r, const Refused& x) {
  if (x.day)
    return openrouter_error(429, "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day");
  return openrouter_error(429, fmt::format("Rate limit exceeded: limit_{}/{}", r.measure == Measure::requests ? "rpm" : "tpm", s.model));
}

/// OpenAI and the OpenAI-compatible (DeepSeek and any base URL).
inline ProviderReply openai_429(const Speaker& s, const Refusal& r, const Refused& x) {
  const std::string per = x.day ? "day" : "min";
  if (!r.wait) {
    return openai_error(429, fmt::format(
        "Request too large for {} in organization {} on {} per {} ({}): Limit {}, Requested {}. The input or "
        "output tokens must be reduced in order to run successfully. Visit "
        "https://platform.openai.com/account/rate-limits to learn more.",
        s.model, s.account, words(r.measure), per, x.abbr, r.limit, r.requested), x.type, "rate_limit_exceeded");
  }
  return openai_error(429, fmt::format(
      "Rate limit reached for {} in organization {} on {} per {} ({}): Limit {}, Used {}, Requested {}. "
      "Please try again in {}. Visit https://platform.openai.com/account/rate-limits to learn more.",
      s.model, s.account, words(r.measure), per, x.abbr, r.limit, r.used, r.requested, x.again), x.type, "rate_limit_exceeded");
}

/// The refusal's status and body, in the words of the speaker's dialect.
inline ProviderReply refusal_body(const Speaker& s, const Refusal& r) {
  const Refused x = refused(r);
  switch (s.provider.dialect) {
    case Dialect::groq: return groq_429(s, r, x);
    case Dialect::anthropic: return anthropic_429(s, r, x);
    case Dialect::gemini: return gemini_429(s, r, x);
    case Dialect::azure: return azure_429(r, x);
    case Dialect::mistral: return mistral_429(r, x);
    case Dialect::openrouter: return openrouter_429(s, r, x);
    default: return openai_429(s, r, x);
  }
}

}  // namespace replies_detail

/// A rate-limit refusal in the provider's dialect: status, body, and `retry-after` (whole
/// seconds, rounded up; Azure adds `retry-after-ms`). Gemini states its wait in RetryInfo
/// instead, as the real API does. `retry_after_header` false leaves the wait to the body.
inline ProviderReply rate_limited(const Speaker& s, const Refusal& r, bool retry_after_header = true) {
  ProviderReply out = replies_detail::refusal_body(s, r);
  if (!r.wait || !retry_after_header || s.provider.dialect == providers::Dialect::gemini) return out;
  if (s.provider.dialect == providers::Dialect::azure)
    out.headers.emplace_back("retry-after-ms", std::to_string(wire::delay_ms(*r.wait)));
  out.headers.emplace_back("retry-after", std::to_string(wire::delay_seconds(*r.wait)));
  return out;
}

namespace replies_detail {

inline ProviderReply anthropic_failure(const Speaker& s, Failure f) {
  switch (f) {
    case Failure::billing: return anthropic_error(400, "invalid_request_error",
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.", s.serial);
    case Failure::invalid_key: return anthropic_error(401, "authentication_error", "invalid x-api-key", s.serial);
    case Failure::forbidden: return anthropic_error(403, "permission_error",
        "Your API key does not have permission to use the specified resource.", s.serial);
    case Failure::unknown_model: return anthropic_error(404, "not_found_error", fmt::format("model: {}", s.model), s.serial);
    case Failure::overloaded: return anthropic_error(529, "overloaded_error", "Overloaded", s.serial);
    case Failure::server_error: break;
  }
  return anthropic_error(500, "api_error", "Internal server error", s.serial);
}

inline ProviderReply gemini_failure(const Speaker& s, Failure f) {
  switch (f) {
    case Failure::billing: return gemini_error(429, "RESOURCE_EXHAUSTED",
        "Your prepayment credits are depleted. Please go to AI Studio at https://ai.studio/projects to manage your project and billing.");
    case Failure::invalid_key: return gemini_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
        {.localized_message = "API key not valid. Please pass a valid API key."}, {"API_KEY_INVALID"});
    case Failure::forbidden: return gemini_error(403, "PERMISSION_DENIED", "The caller does not have permission");
    case Failure::unknown_model: return gemini_error(404, "NOT_FOUND", fmt::format(
        "models/{} is not found for API version v1beta, or is not supported for generateContent.", s.model));
    case Failure::overloaded: return gemini_error(503, "UNAVAILABLE", "The model is overloaded. Please try again later.");
    case Failure::server_error: break;
  }
  return gemini_error(500, "INTERNAL",
      "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting");
}

inline ProviderReply azure_failure(Failure f) {
  switch (f) {
    case Failure::billing: return azure_error(429, "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details.");
    case Failure::invalid_key: return azure_error(401, "401",
        "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an "
        "active subscription and use a correct regional API endpoint for your resource.");
    case Failure::forbidden: return azure_error(403, "PermissionDenied",
        "The principal does not have permission to perform this operation on the deployment.");
    case Failure::unknown_model: return azure_error(404, "DeploymentNotFound",
        "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.");
    case Failure::overloaded: return azure_error(503, "ServiceUnavailable",
        "The service is temporarily unable to process your request. Please try again later.");
    case Failure::server_error: break;
  }
  return azure_error(500, "InternalServerError", "The server had an error processing your request. Sorry about that!");
}

inline ProviderReply mistral_failure(const Speaker& s, Failure f) {
  switch (f) {
    case Failure::billing: return mistral_error(402, "Payment required: your workspace has no credit left.", "payment_required", "1800");
    case Failure::invalid_key: {  // Mistral's gateway answers before the API: a message and a request id only
      const std::string request_id = fmt::format("{:032x}", s.serial);
      return reply(401, dialect::openai::encode_error(said("Unauthorized"), Dialect::mistral, {.request_id = request_id}));
    }
    case Failure::forbidden: return mistral_error(403, fmt::format("Invalid model: {}", s.model), "invalid_model", "1500");
    case Failure::unknown_model: return mistral_error(400, fmt::format("Invalid model: {}", s.model), "invalid_model", "1500");
    case Failure::overloaded: return mistral_error(503, "Service unavailable, the service is overloaded", "service_unavailable", "3000");
    case Failure::server_error: break;
  }
  return mistral_error(500, "Internal server error", "internal_server_error", "3000");
}

inline ProviderReply openrouter_failure(const Speaker& s, Failure f) {
  switch (f) {
    case Failure::billing: return openrouter_error(402,
        "Insufficient credits. This account never purchased credits. Make sure your key is on the correct account or org, and if so, purchase more at https://openrouter.ai/settings/credits");
    case Failure::invalid_key: return openrouter_error(401, "No auth credentials found");
    case Failure::forbidden: return openrouter_error(403, fmt::format("The model {} is not available to this key.", s.model));
    case Failure::unknown_model: return openrouter_error(400, fmt::format("{} is not a valid model ID", s.model));
    case Failure::overloaded: return openrouter_error(503, "Provider returned error: the model is overloaded");
    case Failure::server_error: break;
  }
  return openrouter_error(500, "Internal Server Error");
}

/// OpenAI, Groq, DeepSeek and every OpenAI-compatible server.
inline ProviderReply openai_failure(const Speaker& s, Failure f) {
  const bool groq = s.provider.dialect == Dialect::groq, deepseek = s.provider.dialect == Dialect::deepseek;
  switch (f) {
    case Failure::billing:
      if (deepseek) return openai_error(402, "Insufficient Balance", "unknown_error", "invalid_request_error");
      return openai_error(429, "You exceeded your current quota, please check your plan and billing details. For more "
                               "information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
                          "insufficient_quota", "insufficient_quota");
    case Failure::invalid_key:
      if (groq) return openai_error(401, "Invalid API Key", "invalid_request_error", "invalid_api_key");
      if (deepseek) return openai_error(401, "Authentication Fails, Your api key is invalid", "authentication_error", "invalid_request_error");
      return openai_error(401, "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
                          "invalid_request_error", "invalid_api_key");
    case Failure::forbidden:
      return openai_error(403, fmt::format("Project `{}` does not have access to model `{}`", s.account, s.model),
                          "invalid_request_error", "model_not_found");
    case Failure::unknown_model:
      return openai_error(404, fmt::format("The model `{}` does not exist or you do not have access to it.", s.model),
                          "invalid_request_error", "model_not_found");
    case Failure::overloaded:
      return openai_error(503, "The engine is currently overloaded, please try again later.", "server_error", "");
    case Failure::server_error: break;
  }
  return openai_error(500, "The server had an error while processing your request. Sorry about that!", "server_error", "");
}

}  // namespace replies_detail

/// The id a reply or a stream carries, numbered by `serial` in the provider's form
/// (`chatcmpl-sim…`, `msg_sim…`, Gemini's `responseId` `sim…`).
inline std::string reply_id(providers::Dialect d, std::uint64_t serial) {
  if (d == providers::Dialect::anthropic) return fmt::format("msg_sim{:016x}", serial);
  if (d == providers::Dialect::gemini) return fmt::format("sim{:016x}", serial);
  return fmt::format("chatcmpl-sim{:016x}", serial);
}

/// Every other error in the provider's dialect.
inline ProviderReply failure(const Speaker& s, Failure f) {
  using namespace replies_detail;
  switch (s.provider.dialect) {
    case Dialect::anthropic: return anthropic_failure(s, f);
    case Dialect::gemini: return gemini_failure(s, f);
    case Dialect::azure: return azure_failure(f);
    case Dialect::mistral: return mistral_failure(s, f);
    case Dialect::openrouter: return openrouter_failure(s, f);
    default: return openai_failure(s, f);
  }
}

/// A successful completion: `n` choices of `content`, usage in the provider's shape
/// (`truncated`: the reply stopped at max_tokens).
inline ProviderReply success(const Speaker& s, std::string_view content, std::int64_t input_tokens,
                     std::int64_t output_tokens, std::uint32_t n, bool truncated) {
  const std::string id = reply_id(s.provider.dialect, s.serial);
  const auto created = std::chrono::duration_cast<std::chrono::seconds>(s.wall.time_since_epoch()).count();
  const dialect::ReplyMeta meta{id, s.model, created, n, truncated ? dialect::Finish::length : dialect::Finish::stop};
  const providers::Completion answer{std::string(content), providers::Usage{.input_tokens = input_tokens, .output_tokens = output_tokens}};
  return ProviderReply{200, {}, dialect::encode_completion(s.provider.dialect, answer, meta), {}};
}

namespace replies_detail {

inline providers::LimitReading reading_of(const std::optional<Reading>& r) {
  if (!r) return {};
  return {r->limit, r->remaining, r->reset, std::nullopt};
}

/// What the speaker's rate-limit headers report of `r`: which window each header counts is
/// the provider's (the table's windows: Groq counts requests per day, tokens per minute), and
/// Anthropic's tokens family reports the most restrictive token limit in effect.
inline providers::HeaderSnapshot reported(const Speaker& s, const Readings& r) {
  providers::HeaderSnapshot out;
  switch (s.provider.headers) {
    case providers::HeaderFamily::openai: {
      const bool req_day = s.provider.windows.requests == std::chrono::hours{24};
      const bool tok_day = s.provider.windows.tokens == std::chrono::hours{24};
      out.requests = reading_of(req_day ? (r.requests_day ? r.requests_day : r.requests_minute)
                                        : (r.requests_minute ? r.requests_minute : r.requests_day));
      out.tokens = reading_of(tok_day ? (r.tokens_day ? r.tokens_day : r.tokens_minute)
                                      : (r.tokens_minute ? r.tokens_minute : r.tokens_day));
      break;
    }
    case providers::HeaderFamily::anthropic: {
      std::optional<Reading> tokens = r.tokens_minute;
      for (const auto* x : {&r.input_minute, &r.output_minute})
        if (*x && (!tokens || (*x)->remaining < tokens->remaining)) tokens = *x;
      out.requests = reading_of(r.requests_minute);
      out.input_tokens = reading_of(r.input_minute);
      out.output_tokens = reading_of(r.output_minute);
      out.tokens = reading_of(tokens);
      break;
    }
    case providers::HeaderFamily::mistral:
      out.requests = reading_of(r.requests_minute);
      out.tokens = reading_of(r.tokens_minute);
      break;
    case providers::HeaderFamily::openrouter:
      out.requests = reading_of(r.requests_minute ? r.requests_minute : r.requests_day);
      break;
    case providers::HeaderFamily::none:
      break;
  }
  return out;
}

}  // namespace replies_detail

/// The headers every reply carries: content type, `date`, a request id, and the provider's
/// rate-limit family (none for Gemini, which reports limits only in its errors), written by
/// `providers::write_limit_headers`.
inline void common_headers(const Speaker& s, const Readings& r, ProviderReply& out) {
  auto& h = out.headers;
  h.emplace_back("content-type", "application/json");
  h.emplace_back("date", wire::http_date(s.wall));
  const bool anthropic = s.provider.headers == providers::HeaderFamily::anthropic;
  h.emplace_back(anthropic ? "request-id" : "x-request-id", fmt::format("req_sim{:016x}", s.serial));
  providers::write_limit_headers(replies_detail::reported(s, r), s.provider.headers, s.wall, h);
}

}  // namespace governed::sim
