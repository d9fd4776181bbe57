#pragma once
/// @file
/// What the wire formats need beyond the attempt: the API versions a provider pins and the
/// client's name.

#include <string>

namespace governed::wire {

struct Options {
  /// Anthropic's `anthropic-version` header: the date of the API shape the client speaks.
  std::string anthropic_version = "2023-06-01";
  /// Azure OpenAI's `api-version` query, unless the base URL carries one.
  std::string azure_api_version = "2024-10-21";
  std::string user_agent = "governed/0.1";
};

}  // namespace governed::wire
