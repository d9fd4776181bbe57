#pragma once
/// @file
/// An error reply from Gemini and Vertex, read into `providers::ErrorBody`:
/// `{"error":{"code","message","status","details":[QuotaFailure, RetryInfo, ErrorInfo]}}`, wrapped
/// in an array by the streaming endpoints. The reading is the shape-neutral one
/// (dialect/detail/error_reader.hpp): a gateway in front of the provider may answer in another
/// shape, and every shape is read. Written (`encode_error`) as Gemini writes it, as governed-sim
/// answers.

#include <governed/dialect/detail/error_reader.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/error_body.hpp>
#include <governed/wire/time.hpp>

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace governed::dialect::gemini {

/// The fields of an error body. Never throws; a body that is not JSON, or is past `limits`,
/// is its text (the first 2000 bytes) as the message.
inline providers::ErrorBody decode_error(std::string_view body, const JsonLimits& limits = error_body_limits) {
  return governed::dialect::detail::read_error_body(body, limits);
}

/// A quota the request went over, as a `google.rpc.QuotaFailure` violation names it.
struct QuotaViolation {
  std::string metric{};  ///< `quotaMetric` (generativelanguage.googleapis.com/generate_requests_per_model)
  std::string id{};      ///< `quotaId` (GenerateRequestsPerMinutePerProjectPerModel)
  std::string model{};   ///< the `model` dimension (the location is `global`)
  std::int64_t value = 0;  ///< `quotaValue`: the limit
};

/// What Gemini's `error.details` say beside `providers::ErrorBody`'s fields, each written
/// when present, in this order: an ErrorInfo per `ErrorBody::reasons`, the LocalizedMessage,
/// the QuotaFailure, the Help link, the RetryInfo (`ErrorBody::retry_delay`).
struct ErrorDetails {
  std::string localized_message{};  ///< LocalizedMessage (en-US)
  std::vector<QuotaViolation> violations{};
  std::string help_description{}, help_url{};  ///< a Help link
};

namespace error_writing {

inline nlohmann::json quota_failure(const std::vector<QuotaViolation>& violations) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& v : violations)
    list.push_back({{"quotaMetric", v.metric}, {"quotaId", v.id},
                    {"quotaDimensions", {{"location", "global"}, {"model", v.model}}}, {"quotaValue", std::to_string(v.value)}});
  return {{"@type", "type.googleapis.com/google.rpc.QuotaFailure"}, {"violations", std::move(list)}};
}

inline nlohmann::json details_of(const providers::ErrorBody& e, const ErrorDetails& d) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& reason : e.reasons)
    out.push_back({{"@type", "type.googleapis.com/google.rpc.ErrorInfo"}, {"reason", reason}, {"domain", "googleapis.com"},
                   {"metadata", {{"service", "generativelanguage.googleapis.com"}}}});
  if (!d.localized_message.empty())
    out.push_back({{"@type", "type.googleapis.com/google.rpc.LocalizedMessage"}, {"locale", "en-US"},
                   {"message", d.localized_message}});
  if (!d.violations.empty()) out.push_back(quota_failure(d.violations));
  if (!d.help_url.empty())
    out.push_back({{"@type", "type.googleapis.com/google.rpc.Help"},
                   {"links", {{{"description", d.help_description}, {"url", d.help_url}}}}});
  if (e.retry_delay)
    out.push_back({{"@type", "type.googleapis.com/google.rpc.RetryInfo"}, {"retryDelay", wire::proto_duration(*e.retry_delay)}});
  return out;
}

}  // namespace error_writing

/// An error written as Gemini writes it: `{"error":{"code","message","status","details"}}`, the
/// code the HTTP status as a number (`e.code`'s digits; 0 when it has none), `details` only
/// when there are any.
inline std::string encode_error(const providers::ErrorBody& e, const ErrorDetails& d = {}) {
  int code = 0;
  std::from_chars(e.code.data(), e.code.data() + e.code.size(), code);
  nlohmann::json error = {{"code", code}, {"message", e.message}, {"status", e.status}};
  if (nlohmann::json details = error_writing::details_of(e, d); !details.empty()) error["details"] = std::move(details);
  return nlohmann::json{{"error", std::move(error)}}.dump();
}

}  // namespace governed::dialect::gemini
