#pragma once
/// @file
/// An error reply from Azure OpenAI, read into `providers::ErrorBody`: OpenAI's
/// `{"error":{"message","type","code"}}`, with Azure's own codes (`429` as a string,
/// `DeploymentNotFound`, `content_filter`). The reading is the shape-neutral one
/// (dialect/detail/error_reader.hpp): a gateway in front of the provider may answer in another
/// shape, and every shape is read. Written (`encode_error`) as Azure writes it, as governed-sim
/// answers.

#include <governed/dialect/detail/error_reader.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/error_body.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace governed::dialect::azure {

/// The fields of an error body. Never throws; a body that is not JSON, or is past `limits`,
/// is its text (the first 2000 bytes) as the message.
inline providers::ErrorBody decode_error(std::string_view body, const JsonLimits& limits = error_body_limits) {
  return governed::dialect::detail::read_error_body(body, limits);
}

/// An error written as Azure OpenAI writes it: `{"error":{"code","message"}}`, the code as text
/// (`"429"`, `"DeploymentNotFound"`).
inline std::string encode_error(const providers::ErrorBody& e) {
  return nlohmann::json{{"error", {{"code", e.code}, {"message", e.message}}}}.dump();
}

}  // namespace governed::dialect::azure
