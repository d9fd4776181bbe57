#pragma once
/// @file
/// Base64 (RFC 4648, standard alphabet, padded) for the bytes a request carries: images and
/// documents, written by every home that sends bytes inline, and read back when a request is
/// decoded. Beast's codec does the work; this adds the strict reading an untrusted body needs
/// (every character consumed, padding where it belongs).

#include <boost/beast/core/detail/base64.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace governed::dialect::detail {

inline std::string base64(std::string_view bytes) {
  namespace b64 = boost::beast::detail::base64;
  std::string out(b64::encoded_size(bytes.size()), '\0');
  out.resize(b64::encode(out.data(), bytes.data(), bytes.size()));
  return out;
}

/// The bytes `text` encodes; none when it is not padded base64 whole (a stray character, a
/// length that is not a multiple of 4, padding before the end). The result is at most 3/4 of
/// the text, so its size is bounded by the body's.
inline std::optional<std::string> from_base64(std::string_view text) {
  namespace b64 = boost::beast::detail::base64;
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  const std::string_view body = text.substr(0, text.size() - padding);
  std::string out(b64::decoded_size(text.size()), '\0');
  const auto [written, read] = b64::decode(out.data(), body.data(), body.size());
  if (read != body.size()) return std::nullopt;
  out.resize(written);
  return out;
}

}  // namespace governed::dialect::detail
