#pragma once
/// @file
/// An error reply read into `providers::ErrorBody`, the shape the classifier decides from:
/// by the home of the provider's dialect (dialect/<home>/error.hpp), or in any shape at all.
///
/// Every home reads every shape today (a gateway may answer in its own); the dispatch keeps
/// each home the one place its dialect's errors are read, and written (governed-sim).

#include <governed/dialect/anthropic/error.hpp>
#include <governed/dialect/azure/error.hpp>
#include <governed/dialect/detail/error_reader.hpp>
#include <governed/dialect/gemini/error.hpp>
#include <governed/dialect/openai/error.hpp>
#include <governed/dialect/reply_meta.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/error_body.hpp>
#include <governed/providers/table.hpp>

#include <string>
#include <string_view>

namespace governed::dialect {

/// The fields of an error body in any provider's shape. Never throws; a body that is not
/// JSON, or is past `limits` (too deep or too large to be an error), becomes the message
/// text, its first 2000 bytes. The reader never recurses: nlohmann's SAX parser keeps its own
/// stack, and the reader's stops at `limits.max_depth`.
inline providers::ErrorBody decode_error(std::string_view body, const JsonLimits& limits = error_body_limits) {
  return detail::read_error_body(body, limits);
}

/// The fields of an error body from a provider of `dialect`, as `decode_error(body)` reads them.
inline providers::ErrorBody decode_error(providers::Dialect dialect, std::string_view body,
                                         const JsonLimits& limits = error_body_limits) {
  switch (dialect) {
    case providers::Dialect::anthropic: return anthropic::decode_error(body, limits);
    case providers::Dialect::gemini: return gemini::decode_error(body, limits);
    case providers::Dialect::azure: return azure::decode_error(body, limits);
    default: return openai::decode_error(body, limits);
  }
}

/// An error written in the shape a provider of `dialect` writes it (each home's
/// `encode_error`; Gemini's without `details`, which its home's overload takes).
inline std::string encode_error(providers::Dialect dialect, const providers::ErrorBody& e, const ErrorMeta& meta = {}) {
  switch (dialect) {
    case providers::Dialect::anthropic: return anthropic::encode_error(e, meta);
    case providers::Dialect::gemini: return gemini::encode_error(e);
    case providers::Dialect::azure: return azure::encode_error(e);
    default: return openai::encode_error(e, dialect, meta);
  }
}

}  // namespace governed::dialect
