#pragma once
/// @file
/// The fields of a provider's error body, in one provider-neutral shape: what the classifier
/// (providers/classify.hpp) decides from. The dialects' homes read it from the provider's
/// bytes (`dialect::decode_error`, dialect/error.hpp); this header holds the shape alone, so
/// the classifier's rules need no JSON parser.

#include <governed/time.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace governed::providers {

struct ErrorBody {
  bool json = false;           ///< the body parsed as JSON
  std::string message;         ///< the human text (error.message, message, detail, or the text)
  std::string code;            ///< error.code, numbers as decimal text
  std::string type;            ///< error.type (Anthropic, OpenAI) or the top-level type
  std::string status;          ///< Gemini's error.status (RESOURCE_EXHAUSTED, ...)
  std::vector<std::string> reasons;    ///< errors[].reason, ErrorInfo.reason
  /// QuotaFailure violations, one string each: "quotaId quotaMetric" (the id names the window
  /// and the dimension: GenerateRequestsPerDayPerProjectPerModel-FreeTier).
  std::vector<std::string> quota_ids;
  bool quota_zero = false;             ///< a violated quota's value is 0: the tier has none
  std::optional<Duration> retry_delay; ///< RetryInfo.retryDelay
  std::string upstream;        ///< OpenRouter's error.metadata.raw: the upstream's own words
  std::vector<std::pair<std::string, std::string>> meta_headers;  ///< error.metadata.headers
};

/// The body a reply without an error body is classified with (a success, a status no server
/// sends): one shared empty body, so classifying a success builds none and checks no guard.
inline const ErrorBody no_error_body{};

}  // namespace governed::providers
