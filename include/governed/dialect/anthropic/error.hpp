#pragma once
/// @file
/// An error reply from Anthropic, read into `providers::ErrorBody`:
/// `{"type":"error","error":{"type","message"}}` (the envelope's `"error"` type is not a kind). The
/// reading is the shape-neutral one (dialect/detail/error_reader.hpp): a gateway in front of the
/// provider may answer in another shape, and every shape is read. Written (`encode_error`) as
/// Anthropic writes it, as governed-sim answers.

#include <governed/dialect/detail/error_reader.hpp>
#include <governed/dialect/reply_meta.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/error_body.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace governed::dialect::anthropic {

/// The fields of an error body. Never throws; a body that is not JSON, or is past `limits`,
/// is its text (the first 2000 bytes) as the message.
inline providers::ErrorBody decode_error(std::string_view body, const JsonLimits& limits = error_body_limits) {
  return governed::dialect::detail::read_error_body(body, limits);
}

/// An error written as Anthropic writes it: `{"type":"error","error":{"type","message"},
/// "request_id"}` (no `request_id` when `meta` has none).
inline std::string encode_error(const providers::ErrorBody& e, const ErrorMeta& meta = {}) {
  nlohmann::json body = {{"type", "error"}, {"error", {{"type", e.type}, {"message", e.message}}}};
  if (!meta.request_id.empty()) body["request_id"] = meta.request_id;
  return body.dump();
}

}  // namespace governed::dialect::anthropic
