#pragma once
/// @file
/// What a successful reply says: its text and its usage, in one shape for every provider.
///
/// Each dialect's home reads it from the provider's body (`dialect::decode_completion`,
/// dialect/reply.hpp); this header holds the shape alone, so the walk can use it without a
/// JSON parser.

#include <governed/providers/usage.hpp>

#include <optional>
#include <string>

namespace governed::providers {

/// What a successful reply says.
struct Completion {
  std::string content;
  /// The usage block, when there is one and it reads as `dialect::usage_from_json` would read it.
  std::optional<Usage> usage{};
};

}  // namespace governed::providers
