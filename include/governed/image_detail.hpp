#pragma once
/// @file
/// How closely a model is asked to look at an image: OpenAI's `detail` ("auto", "low",
/// "high"), which the chat completions API takes on every `image_url` part
/// (https://platform.openai.com/docs/guides/images-vision). The other providers have no such
/// field; governed keeps it on the part all the same, because it also picks how the token
/// estimate counts the image (providers/image_tokens.hpp): `low` is a flat 85 tokens on
/// OpenAI's tile rule, `high` and `automatic` count the tiles.
///
/// A header of its own, free of everything else, so that the message vocabulary and the
/// estimate can both name it without one including the other.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace governed {

enum class ImageDetail : std::uint8_t {
  automatic,  ///< "auto": the provider chooses; estimated as `high`, the larger count
  low,        ///< "low": a 512-px thumbnail, a fixed cost
  high,       ///< "high": the image in tiles or patches, a cost by its size
};

/// The wire names, in the enum's order.
inline constexpr std::array<std::string_view, 3> image_detail_names{"auto", "low", "high"};

constexpr std::string_view to_string(ImageDetail d) noexcept {
  return image_detail_names[static_cast<std::size_t>(d)];
}

/// The detail a wire name stands for; none for any other text (names are exact and
/// case-sensitive, as OpenAI reads them).
constexpr std::optional<ImageDetail> image_detail_from(std::string_view name) noexcept {
  for (std::size_t i = 0; i < image_detail_names.size(); ++i)
    if (image_detail_names[i] == name) return static_cast<ImageDetail>(i);
  return std::nullopt;
}

}  // namespace governed
