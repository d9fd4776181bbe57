#pragma once
/// @file
/// `data:` URLs (RFC 2397) with base64 bytes: how OpenAI's chat completions take an image or a
/// file inline (`"url": "data:image/png;base64,…"`, `"file_data": "data:application/pdf;base64,…"`).

#include <governed/dialect/detail/base64.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace governed::dialect::detail {

inline std::string data_url(std::string_view media_type, std::string_view bytes) {
  std::string out = "data:";
  out += media_type;
  out += ";base64,";
  out += base64(bytes);
  return out;
}

/// The media type and bytes of a `data:<type>;base64,<data>` URL; none for any other URL (a
/// URL the provider fetches, or a data URL that is not base64).
struct DataUrl {
  std::string media_type;
  std::string bytes;
};
inline std::optional<DataUrl> read_data_url(std::string_view url) {
  constexpr std::string_view scheme = "data:", marker = ";base64,";
  if (!url.starts_with(scheme)) return std::nullopt;
  const auto at = url.find(marker);
  if (at == std::string_view::npos) return std::nullopt;
  auto bytes = from_base64(url.substr(at + marker.size()));
  if (!bytes) return std::nullopt;
  return DataUrl{std::string(url.substr(scheme.size(), at - scheme.size())), std::move(*bytes)};
}

}  // namespace governed::dialect::detail
