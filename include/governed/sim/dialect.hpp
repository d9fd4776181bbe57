#pragma once
/// @file
/// Replies in each provider's own words: success bodies with usage in the provider's shape,
/// the rate-limit, billing, auth, permission and capacity errors each provider really sends
/// (status, body, `retry-after`), and the rate-limit headers it puts on every reply. The
/// texts follow the providers' replies collected in tests/data/provider_replies.jsonl, so the
/// classifier reads a simulated reply exactly as it reads the real one.

#include <governed/providers/table.hpp>
#include <governed/sim/call.hpp>
#include <governed/sim/meter.hpp>
#include <governed/time.hpp>
#include <governed/wire/time.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

namespace dialect_detail {

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

inline ProviderReply json_reply(int status, const nlohmann::json& body) { return ProviderReply{status, {}, body.dump(), {}}; }

inline nlohmann::json openai_error(std::string_view message, nlohmann::json type, nlohmann::json code) {
  return {{"error", {{"message", message}, {"type", std::move(type)}, {"param", nullptr}, {"code", std::move(code)}}}};
}

inline nlohmann::json anthropic_error(std::string_view type, std::string_view message, std::uint64_t serial) {
  return {{"type", "error"},
          {"error", {{"type", type}, {"message", message}}},
          {"request_id", fmt::format("req_sim{:016x}", serial)}};
}

inline nlohmann::json gemini_error(int code, std::string_view status, std::string_view message,
                                   nlohmann::json details = nullptr) {
  nlohmann::json e = {{"code", code}, {"message", message}, {"status", status}};
  if (!details.is_null()) e["details"] = std::move(details);
  return {{"error", std::move(e)}};
}

inline nlohmann::json azure_error(std::string_view code, std::string_view message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

inline nlohmann::json mistral_error(std::string_view message, std::string_view type, std::string_view code) {
  return {{"object", "error"}, {"message", message}, {"type", type}, {"param", nullptr}, {"code", code}};
}

inline nlohmann::json openrouter_error(int code, std::string_view message) {
  return {{"error", {{"message", message}, {"code", code}}}};
}

}  // namespace dialect_detail

/// A rate-limit refusal in the provider's dialect: status, body, and `retry-after` (whole
/// seconds, rounded up; Azure adds `retry-after-ms`). Gemini states its wait in RetryInfo
/// instead, as the real API does. `retry_after_header` false leaves the wait to the body.
inline ProviderReply rate_limited(const Speaker& s, const Refusal& r, bool retry_after_header = true) {
  using namespace dialect_detail;
  const Dialect d = s.provider.dialect;
  const bool day = r.span == Span::day;
  const std::string per = day ? "day" : "min";
  const std::string abbr = abbreviation(r.measure, r.span);
  const std::string again = r.wait ? wire::go_duration(*r.wait) : std::string{};
  const nlohmann::json type = r.measure == Measure::requests ? "requests" : "tokens";
  ProviderReply out;
  switch (d) {
    case Dialect::groq: {
      if (!r.wait) {
        out = json_reply(413, openai_error(fmt::format(
            "Request too large for model `{}` in organization `{}` service tier `on_demand` on {} per {} ({}): "
            "Limit {}, Requested {}, please reduce your message size and try again. Need more tokens? "
            "Upgrade to Dev Tier today at https://console.groq.com/settings/billing",
            s.model, s.account, words(r.measure), day ? "day" : "minute", abbr, r.limit, r.requested), type, "rate_limit_exceeded"));
        break;
      }
      const std::string tail = day ? "Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing"
                                   : "Visit https://console.groq.com/docs/rate-limits for more information.";
      out = json_reply(429, openai_error(fmt::format(
          "Rate limit reached for model `{}` in organization `{}` service tier `on_demand` on {} per {} ({}): "
          "Limit {}, Used {}, Requested {}. Please try again in {}. {}",
          s.model, s.account, words(r.measure), day ? "day" : "minute", abbr, r.limit, r.used, r.requested, again, tail),
          type, "rate_limit_exceeded"));
      break;
    }
    case Dialect::anthropic: {
      out = json_reply(429, anthropic_error("rate_limit_error", fmt::format(
          "This request would exceed the rate limit for your organization ({}) of {} {} per {}. For details, "
          "refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current "
          "usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may "
          "also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate "
          "limit increase.", s.account, grouped(r.limit), words(r.measure), day ? "day" : "minute"), s.serial));
      break;
    }
    case Dialect::gemini: {
      const bool req = r.measure == Measure::requests;
      const std::string quota_id = req ? fmt::format("GenerateRequestsPer{}PerProjectPerModel", day ? "Day" : "Minute")
                                       : fmt::format("GenerateContentInputTokensPerModelPer{}", day ? "Day" : "Minute");
      const std::string metric = req ? (day ? "generate_requests_per_model_per_day" : "generate_requests_per_model")
                                     : "generate_content_input_token_count";
      nlohmann::json details = nlohmann::json::array();
      details.push_back({{"@type", "type.googleapis.com/google.rpc.QuotaFailure"},
                         {"violations", {{{"quotaMetric", "generativelanguage.googleapis.com/" + metric},
                                          {"quotaId", quota_id},
                                          {"quotaDimensions", {{"location", "global"}, {"model", s.model}}},
                                          {"quotaValue", std::to_string(r.limit)}}}}});
      details.push_back({{"@type", "type.googleapis.com/google.rpc.Help"},
                         {"links", {{{"description", "Learn more about Gemini API quotas"},
                                     {"url", "https://ai.google.dev/gemini-api/docs/rate-limits"}}}}});
      if (r.wait)
        details.push_back({{"@type", "type.googleapis.com/google.rpc.RetryInfo"}, {"retryDelay", wire::proto_duration(*r.wait)}});
      out = json_reply(429, gemini_error(429, "RESOURCE_EXHAUSTED",
          "You exceeded your current quota, please check your plan and billing details. For more information on "
          "this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.", std::move(details)));
      return out;  // Gemini sends no retry-after
    }
    case Dialect::azure: {
      out = json_reply(429, azure_error("429", fmt::format(
          "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have "
          "exceeded {}{} rate limit of your current AIServices S0 pricing tier. Please retry after {} seconds. "
          "Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.",
          day ? "the daily " : "", r.measure == Measure::requests ? "call" : "token",
          r.wait ? wire::delay_seconds(*r.wait) : 60)));
      if (r.wait && retry_after_header) out.headers.emplace_back("retry-after-ms", std::to_string(wire::delay_ms(*r.wait)));
      break;
    }
    case Dialect::mistral: {
      const std::string what = r.measure == Measure::requests ? "Requests" : "Tokens";
      out = json_reply(429, mistral_error(day ? fmt::format("{} per day rate limit exceeded", what)
                                              : fmt::format("{} rate limit exceeded", what),
                                          "rate_limited", "1300"));
      break;
    }
    case Dialect::openrouter: {
      if (day) {
        out = json_reply(429, openrouter_error(429,
            "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day"));
      } else {
        out = json_reply(429, openrouter_error(429, fmt::format("Rate limit exceeded: limit_{}/{}",
                                                                r.measure == Measure::requests ? "rpm" : "tpm", s.model)));
      }
      break;
    }
    default: {  // OpenAI and the OpenAI-compatible (DeepSeek and any base URL)
      if (!r.wait) {
        out = json_reply(429, openai_error(fmt::format(
            "Request too large for {} in organization {} on {} per {} ({}): Limit {}, Requested {}. The input or "
            "output tokens must be reduced in order to run successfully. Visit "
            "https://platform.openai.com/account/rate-limits to learn more.",
            s.model, s.account, words(r.measure), per, abbr, r.limit, r.requested), type, "rate_limit_exceeded"));
        break;
      }
      out = json_reply(429, openai_error(fmt::format(
          "Rate limit reached for {} in organization {} on {} per {} ({}): Limit {}, Used {}, Requested {}. "
          "Please try again in {}. Visit https://platform.openai.com/account/rate-limits to learn more.",
          s.model, s.account, words(r.measure), per, abbr, r.limit, r.used, r.requested, again), type, "rate_limit_exceeded"));
      break;
    }
  }
  if (r.wait && retry_after_header) out.headers.emplace_back("retry-after", std::to_string(wire::delay_seconds(*r.wait)));
  return out;
}

/// Every other error in the provider's dialect.
inline ProviderReply failure(const Speaker& s, Failure f) {
  using namespace dialect_detail;
  switch (s.provider.dialect) {
    case Dialect::anthropic:
      switch (f) {
        case Failure::billing: return json_reply(400, anthropic_error("invalid_request_error",
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.", s.serial));
        case Failure::invalid_key: return json_reply(401, anthropic_error("authentication_error", "invalid x-api-key", s.serial));
        case Failure::forbidden: return json_reply(403, anthropic_error("permission_error",
            "Your API key does not have permission to use the specified resource.", s.serial));
        case Failure::unknown_model: return json_reply(404, anthropic_error("not_found_error", fmt::format("model: {}", s.model), s.serial));
        case Failure::overloaded: return json_reply(529, anthropic_error("overloaded_error", "Overloaded", s.serial));
        case Failure::server_error: return json_reply(500, anthropic_error("api_error", "Internal server error", s.serial));
      }
      break;
    case Dialect::gemini:
      switch (f) {
        case Failure::billing: return json_reply(429, gemini_error(429, "RESOURCE_EXHAUSTED",
            "Your prepayment credits are depleted. Please go to AI Studio at https://ai.studio/projects to manage your project and billing."));
        case Failure::invalid_key: {
          nlohmann::json details = nlohmann::json::array();
          details.push_back({{"@type", "type.googleapis.com/google.rpc.ErrorInfo"}, {"reason", "API_KEY_INVALID"},
                             {"domain", "googleapis.com"}, {"metadata", {{"service", "generativelanguage.googleapis.com"}}}});
          details.push_back({{"@type", "type.googleapis.com/google.rpc.LocalizedMessage"}, {"locale", "en-US"},
                             {"message", "API key not valid. Please pass a valid API key."}});
          return json_reply(400, gemini_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", std::move(details)));
        }
        case Failure::forbidden: return json_reply(403, gemini_error(403, "PERMISSION_DENIED", "The caller does not have permission"));
        case Failure::unknown_model: return json_reply(404, gemini_error(404, "NOT_FOUND", fmt::format(
            "models/{} is not found for API version v1beta, or is not supported for generateContent.", s.model)));
        case Failure::overloaded: return json_reply(503, gemini_error(503, "UNAVAILABLE", "The model is overloaded. Please try again later."));
        case Failure::server_error: return json_reply(500, gemini_error(500, "INTERNAL",
            "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"));
      }
      break;
    case Dialect::azure:
      switch (f) {
        case Failure::billing: return json_reply(429, azure_error("insufficient_quota",
            "You exceeded your current quota, please check your plan and billing details."));
        case Failure::invalid_key: return json_reply(401, azure_error("401",
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an "
            "active subscription and use a correct regional API endpoint for your resource."));
        case Failure::forbidden: return json_reply(403, azure_error("PermissionDenied",
            "The principal does not have permission to perform this operation on the deployment."));
        case Failure::unknown_model: return json_reply(404, azure_error("DeploymentNotFound",
            "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."));
        case Failure::overloaded: return json_reply(503, azure_error("ServiceUnavailable",
            "The service is temporarily unable to process your request. Please try again later."));
        case Failure::server_error: return json_reply(500, azure_error("InternalServerError",
            "The server had an error processing your request. Sorry about that!"));
      }
      break;
    case Dialect::mistral:
      switch (f) {
        case Failure::billing: return json_reply(402, mistral_error("Payment required: your workspace has no credit left.", "payment_required", "1800"));
        case Failure::invalid_key: return json_reply(401, nlohmann::json{{"message", "Unauthorized"}, {"request_id", fmt::format("{:032x}", s.serial)}});
        case Failure::forbidden: return json_reply(403, mistral_error(fmt::format("Invalid model: {}", s.model), "invalid_model", "1500"));
        case Failure::unknown_model: return json_reply(400, mistral_error(fmt::format("Invalid model: {}", s.model), "invalid_model", "1500"));
        case Failure::overloaded: return json_reply(503, mistral_error("Service unavailable, the service is overloaded", "service_unavailable", "3000"));
        case Failure::server_error: return json_reply(500, mistral_error("Internal server error", "internal_server_error", "3000"));
      }
      break;
    case Dialect::openrouter:
      switch (f) {
        case Failure::billing: return json_reply(402, openrouter_error(402,
            "Insufficient credits. This account never purchased credits. Make sure your key is on the correct account or org, and if so, purchase more at https://openrouter.ai/settings/credits"));
        case Failure::invalid_key: return json_reply(401, openrouter_error(401, "No auth credentials found"));
        case Failure::forbidden: return json_reply(403, openrouter_error(403, fmt::format("The model {} is not available to this key.", s.model)));
        case Failure::unknown_model: return json_reply(400, openrouter_error(400, fmt::format("{} is not a valid model ID", s.model)));
        case Failure::overloaded: return json_reply(503, openrouter_error(503, "Provider returned error: the model is overloaded"));
        case Failure::server_error: return json_reply(500, openrouter_error(500, "Internal Server Error"));
      }
      break;
    default:
      break;
  }
  // OpenAI, Groq, DeepSeek and every OpenAI-compatible server.
  const bool groq = s.provider.dialect == Dialect::groq, deepseek = s.provider.dialect == Dialect::deepseek;
  switch (f) {
    case Failure::billing:
      if (deepseek) return json_reply(402, openai_error("Insufficient Balance", "unknown_error", "invalid_request_error"));
      return json_reply(429, openai_error("You exceeded your current quota, please check your plan and billing details. For more "
                                          "information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
                                          "insufficient_quota", "insufficient_quota"));
    case Failure::invalid_key:
      if (groq) return json_reply(401, openai_error("Invalid API Key", "invalid_request_error", "invalid_api_key"));
      if (deepseek) return json_reply(401, openai_error("Authentication Fails, Your api key is invalid", "authentication_error", "invalid_request_error"));
      return json_reply(401, openai_error("Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
                                          "invalid_request_error", "invalid_api_key"));
    case Failure::forbidden:
      return json_reply(403, openai_error(fmt::format("Project `{}` does not have access to model `{}`", s.account, s.model),
                                          "invalid_request_error", "model_not_found"));
    case Failure::unknown_model:
      return json_reply(404, openai_error(fmt::format("The model `{}` does not exist or you do not have access to it.", s.model),
                                          "invalid_request_error", "model_not_found"));
    case Failure::overloaded:
      return json_reply(503, openai_error("The engine is currently overloaded, please try again later.", "server_error", nullptr));
    case Failure::server_error:
      return json_reply(500, openai_error("The server had an error while processing your request. Sorry about that!", "server_error", nullptr));
  }
  return json_reply(500, openai_error("Internal error", "server_error", nullptr));
}

/// A successful completion: `n` choices of `content`, usage in the provider's shape
/// (`truncated`: the reply stopped at max_tokens).
inline ProviderReply success(const Speaker& s, std::string_view content, std::int64_t input_tokens,
                     std::int64_t output_tokens, std::uint32_t n, bool truncated) {
  using providers::Dialect;
  const auto created = std::chrono::duration_cast<std::chrono::seconds>(s.wall.time_since_epoch()).count();
  nlohmann::json body;
  if (s.provider.dialect == Dialect::anthropic) {
    body = {{"id", fmt::format("msg_sim{:016x}", s.serial)}, {"type", "message"}, {"role", "assistant"},
            {"model", s.model}, {"content", {{{"type", "text"}, {"text", content}}}},
            {"stop_reason", truncated ? "max_tokens" : "end_turn"}, {"stop_sequence", nullptr},
            {"usage", {{"input_tokens", input_tokens}, {"output_tokens", output_tokens},
                       {"cache_creation_input_tokens", 0}, {"cache_read_input_tokens", 0}}}};
  } else if (s.provider.dialect == Dialect::gemini) {
    nlohmann::json candidates = nlohmann::json::array();
    for (std::uint32_t i = 0; i < std::max<std::uint32_t>(n, 1); ++i)
      candidates.push_back({{"content", {{"parts", {{{"text", content}}}}, {"role", "model"}}},
                            {"finishReason", truncated ? "MAX_TOKENS" : "STOP"}, {"index", i}});
    body = {{"candidates", std::move(candidates)},
            {"usageMetadata", {{"promptTokenCount", input_tokens}, {"candidatesTokenCount", output_tokens},
                               {"totalTokenCount", input_tokens + output_tokens}}},
            {"modelVersion", s.model}, {"responseId", fmt::format("sim{:016x}", s.serial)}};
  } else {
    nlohmann::json choices = nlohmann::json::array();
    for (std::uint32_t i = 0; i < std::max<std::uint32_t>(n, 1); ++i)
      choices.push_back({{"index", i}, {"message", {{"role", "assistant"}, {"content", content}}},
                         {"logprobs", nullptr}, {"finish_reason", truncated ? "length" : "stop"}});
    body = {{"id", fmt::format("chatcmpl-sim{:016x}", s.serial)}, {"object", "chat.completion"},
            {"created", created}, {"model", s.model}, {"choices", std::move(choices)},
            {"usage", {{"prompt_tokens", input_tokens}, {"completion_tokens", output_tokens},
                       {"total_tokens", input_tokens + output_tokens}}}};
  }
  return ProviderReply{200, {}, body.dump(), {}};
}

/// The headers every reply carries: content type, `date`, a request id, and the provider's
/// rate-limit family (none for Gemini, which reports limits only in its errors).
inline void common_headers(const Speaker& s, const Readings& r, ProviderReply& out) {
  using providers::HeaderFamily;
  auto& h = out.headers;
  h.emplace_back("content-type", "application/json");
  h.emplace_back("date", wire::http_date(s.wall));
  const bool anthropic = s.provider.headers == HeaderFamily::anthropic;
  h.emplace_back(anthropic ? "request-id" : "x-request-id", fmt::format("req_sim{:016x}", s.serial));
  auto put = [&](std::string name, std::int64_t v) { h.emplace_back(std::move(name), std::to_string(v)); };
  switch (s.provider.headers) {
    case HeaderFamily::openai: {
      // The table says which window each header counts (Groq: requests per day, tokens per minute).
      const bool req_day = s.provider.windows.requests == std::chrono::hours{24};
      const bool tok_day = s.provider.windows.tokens == std::chrono::hours{24};
      const auto& req = req_day ? (r.requests_day ? r.requests_day : r.requests_minute)
                                : (r.requests_minute ? r.requests_minute : r.requests_day);
      const auto& tok = tok_day ? (r.tokens_day ? r.tokens_day : r.tokens_minute)
                                : (r.tokens_minute ? r.tokens_minute : r.tokens_day);
      if (req) put("x-ratelimit-limit-requests", req->limit);
      if (tok) put("x-ratelimit-limit-tokens", tok->limit);
      if (req) put("x-ratelimit-remaining-requests", req->remaining);
      if (tok) put("x-ratelimit-remaining-tokens", tok->remaining);
      if (req) h.emplace_back("x-ratelimit-reset-requests", wire::go_duration(req->reset));
      if (tok) h.emplace_back("x-ratelimit-reset-tokens", wire::go_duration(tok->reset));
      break;
    }
    case HeaderFamily::anthropic: {
      auto family = [&](std::string_view dim, const std::optional<Reading>& x) {
        if (!x) return;
        put(fmt::format("anthropic-ratelimit-{}-limit", dim), x->limit);
        put(fmt::format("anthropic-ratelimit-{}-remaining", dim), x->remaining);
        h.emplace_back(fmt::format("anthropic-ratelimit-{}-reset", dim), wire::rfc3339(s.wall + x->reset));
      };
      family("requests", r.requests_minute);
      family("input-tokens", r.input_minute);
      family("output-tokens", r.output_minute);
      // The tokens family reports the most restrictive token limit in effect.
      std::optional<Reading> tokens = r.tokens_minute;
      for (const auto* x : {&r.input_minute, &r.output_minute})
        if (*x && (!tokens || (*x)->remaining < tokens->remaining)) tokens = *x;
      family("tokens", tokens);
      break;
    }
    case HeaderFamily::mistral:
      if (r.requests_minute) {
        put("x-ratelimit-limit-req-minute", r.requests_minute->limit);
        put("x-ratelimit-remaining-req-minute", r.requests_minute->remaining);
      }
      if (r.tokens_minute) {
        put("x-ratelimit-limit-tokens-minute", r.tokens_minute->limit);
        put("x-ratelimit-remaining-tokens-minute", r.tokens_minute->remaining);
      }
      break;
    case HeaderFamily::openrouter:
      if (const auto& x = r.requests_minute ? r.requests_minute : r.requests_day) {
        put("x-ratelimit-limit", x->limit);
        put("x-ratelimit-remaining", x->remaining);
        put("x-ratelimit-reset", wire::epoch_ms(s.wall + x->reset));
      }
      break;
    case HeaderFamily::none:
      break;
  }
}

}  // namespace governed::sim
