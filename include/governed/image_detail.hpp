#pragma once
/// @file
/// `ImageDetail`: how closely a provider looks at an image (OpenAI's `detail`).

#include <cstdint>

namespace governed {

enum class ImageDetail : std::uint8_t { automatic, low, high };

}  // namespace governed
