#pragma once
/// @file
/// The tokens an image costs in the prompt, by each provider's published rule.
///
/// A tokens-per-minute limit is admitted before the call, so the estimate must count images
/// too: a single photo costs hundreds to thousands of tokens, far more than the text beside
/// it. Each provider states how it counts; the provider table names the rule of each model.
///
/// - `openai_tiles` (GPT-4o, o-series): `low` is 85 tokens whatever the size. `high` (and
///   `auto`, counted as `high`) scales the image down to fit in 2 048 × 2 048, then down so its
///   shortest side is at most 768 px, and costs 170 per 512-px tile that covers it, plus 85:
///   1 024² → 768² → 4 tiles → 765; 2 048 × 4 096 → 768 × 1 536 → 6 tiles → 1 105.
///   https://platform.openai.com/docs/guides/images-vision ("Calculating costs"; the text
///   read here from its copy at https://openai-hd4n6.mintlify.app/docs/guides/images).
/// - `openai_patches` (GPT-4.1 mini and nano, o4-mini, and later small models): one token per
///   32-px patch that covers the image; past 1 536 patches the image is scaled down to fit, and
///   the count is multiplied by the model's `patch_multiplier` (1.62 for gpt-4.1-mini, 2.46 for
///   gpt-4.1-nano). The page's example: 1 800 × 2 400 → 1 086 × 1 448 → 1 056 × 1 408 → 33 × 44
///   = 1 452 patches. Same page; `detail` does not change the count here.
/// - `anthropic_area`: an image whose long edge is over 1 568 px, or that would cost over about
///   1 600 tokens, is first scaled down (aspect kept); it then costs width × height / 750:
///   1 000² ≈ 1 334, 1 092² ≈ 1 590. The page also recommends at most 1.15 megapixels, its
///   ~1 600 tokens (1 600 × 750 = 1.2 M pixels); governed scales to that area.
///   https://docs.anthropic.com/en/docs/vision (the 1 568 px, ~1 600 tokens and 1.15 MP; the
///   formula and its table, "Calculate image costs", as quoted at
///   https://restack.io/p/anthropic-token-calculator-answer-cat-ai).
/// - `gemini_tiles` (Gemini 2.x): 258 tokens when both sides are at most 384 px, otherwise 258
///   per 768 × 768 tile: 1 600 × 900 → 3 × 2 tiles → 1 548.
///   https://ai.google.dev/gemini-api/docs/tokens ("Multimodal tokens"; the rule's text as
///   quoted at https://geminibyexample.com/027-calculate-input-tokens/). Gemini 3 adds
///   `media_resolution` (https://ai.google.dev/gemini-api/docs/media-resolution), a token
///   budget per image chosen by the caller; a model counted that way needs a rule of its own.
///
/// An image given by URL has no size before the provider fetches it, so it counts at the
/// most its rule gives for its detail: the estimate may then err high, never low (one that
/// errs low costs a 429). That is 85 (OpenAI, `low`); 1 445 (OpenAI, `high`/`auto`: the
/// largest image after scaling is 768 × 2 048, 2 × 4 tiles, 85 + 8 × 170); 1 536 patches ×
/// the multiplier; 1 600 (Anthropic, the area cap / 750). Gemini's 2.x rule has no maximum
/// (it tiles whatever size it gets), so an image by URL counts as 4 tiles, 1 032: a
/// 1 536-px square, governed's convention for an image it cannot see.

#include <governed/image_detail.hpp>
#include <governed/providers/image_size.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace governed::providers {

/// How a model counts an image's tokens; the provider table names one per model.
enum class ImageRule : std::uint8_t { openai_tiles, openai_patches, anthropic_area, gemini_tiles };

/// The names the provider table uses, in the enum's order.
inline constexpr std::array<std::string_view, 4> image_rule_names{"openai_tiles", "openai_patches",
                                                                  "anthropic_area", "gemini_tiles"};

constexpr std::string_view to_string(ImageRule r) noexcept { return image_rule_names[static_cast<std::size_t>(r)]; }

/// The rule a table name stands for; none for a name the table does not know.
constexpr std::optional<ImageRule> image_rule_from(std::string_view name) noexcept {
  for (std::size_t i = 0; i < image_rule_names.size(); ++i)
    if (image_rule_names[i] == name) return static_cast<ImageRule>(i);
  return std::nullopt;
}

namespace detail {

/// A size in pixels while it is being scaled: whole pixels, as the provider's resize makes
/// them, and never below one.
struct Pixels {
  double width;
  double height;
};

inline Pixels scaled(Pixels p, double factor) noexcept {
  return {std::max(1.0, std::floor(p.width * factor)), std::max(1.0, std::floor(p.height * factor))};
}

/// How many `side`-px squares cover `length` px.
inline double cover(double length, double side) noexcept { return std::ceil(length / side); }

inline constexpr std::uint32_t openai_low_tokens = 85;
inline constexpr std::uint32_t openai_base_tokens = 85;
inline constexpr std::uint32_t openai_tile_tokens = 170;

inline std::uint32_t openai_tiles(Pixels p) noexcept {
  if (const double longest = std::max(p.width, p.height); longest > 2048) p = scaled(p, 2048 / longest);
  if (const double shortest = std::min(p.width, p.height); shortest > 768) p = scaled(p, 768 / shortest);
  const double tiles = cover(p.width, 512) * cover(p.height, 512);
  return openai_base_tokens + openai_tile_tokens * static_cast<std::uint32_t>(tiles);
}

inline constexpr double openai_max_patches = 1536;

/// The patches of an image too large for the cap, as the page computes them: scale by
/// sqrt(cap × 32² / area) to whole pixels, then once more so the tighter side fits a whole
/// number of patches.
inline double openai_patches_scaled_down(Pixels p) noexcept {
  p = scaled(p, std::sqrt(openai_max_patches * 32 * 32 / (p.width * p.height)));
  // A side under one patch can not be trimmed to a whole number of them: it is one patch.
  auto fit = [](double side) { return side < 32 ? 1.0 : std::floor(side / 32) / (side / 32); };
  p = scaled(p, std::min(fit(p.width), fit(p.height)));
  return cover(p.width, 32) * cover(p.height, 32);
}

inline double openai_patches(Pixels p) noexcept {
  const double patches = cover(p.width, 32) * cover(p.height, 32);
  // Scaling keeps the aspect ratio, so a very long, thin image may still need more: the cap holds.
  return patches <= openai_max_patches ? patches : std::min(openai_max_patches, openai_patches_scaled_down(p));
}

inline constexpr double anthropic_long_edge = 1568;
inline constexpr double anthropic_max_area = 1'200'000;  // ~1 600 tokens × 750 px per token
inline constexpr double anthropic_pixels_per_token = 750;

inline std::uint32_t anthropic_area(Pixels p) noexcept {
  const double factor = std::min({1.0, anthropic_long_edge / std::max(p.width, p.height),
                                  std::sqrt(anthropic_max_area / (p.width * p.height))});
  if (factor < 1) p = scaled(p, factor);
  const double tokens = std::ceil(p.width * p.height / anthropic_pixels_per_token);
  return static_cast<std::uint32_t>(std::min(tokens, anthropic_max_area / anthropic_pixels_per_token));
}

inline constexpr std::uint32_t gemini_tile_tokens = 258;
inline constexpr std::uint32_t gemini_unseen_tiles = 4;

inline std::uint32_t gemini_tiles(Pixels p) noexcept {
  if (p.width <= 384 && p.height <= 384) return gemini_tile_tokens;
  const double tokens = cover(p.width, 768) * cover(p.height, 768) * gemini_tile_tokens;
  return tokens >= std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                             : static_cast<std::uint32_t>(tokens);
}

/// Patches × multiplier, rounded up: a multiplier that is not a positive number counts as 1
/// (the table reader refuses one; this keeps the estimate defined all the same).
inline std::uint32_t multiplied(double patches, double multiplier) noexcept {
  if (!(multiplier > 0) || !std::isfinite(multiplier)) multiplier = 1;
  const double tokens = std::ceil(patches * multiplier);
  return tokens >= std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                             : static_cast<std::uint32_t>(tokens);
}

/// What an image of unknown size counts: the most the rule gives for this detail.
inline std::uint32_t unseen_image_tokens(ImageRule rule, ImageDetail level, double multiplier) noexcept {
  switch (rule) {
    case ImageRule::openai_tiles:
      return level == ImageDetail::low ? openai_low_tokens : openai_tiles({768, 2048});
    case ImageRule::openai_patches: return multiplied(openai_max_patches, multiplier);
    case ImageRule::anthropic_area:
      return static_cast<std::uint32_t>(anthropic_max_area / anthropic_pixels_per_token);
    case ImageRule::gemini_tiles: return gemini_unseen_tiles * gemini_tile_tokens;
  }
  return 0;
}

}  // namespace detail

/// The tokens one image costs under `rule`: by its size when known (read with `image_size`
/// from the bytes), else the most the rule gives for `level` (an image by URL). The detail
/// level matters only to `openai_tiles`; `patch_multiplier` only to `openai_patches`.
inline std::uint32_t image_tokens(ImageRule rule, std::optional<ImageSize> size, ImageDetail level,
                                  double patch_multiplier = 1.0) noexcept {
  if (!size || size->width == 0 || size->height == 0) return detail::unseen_image_tokens(rule, level, patch_multiplier);
  const detail::Pixels p{static_cast<double>(size->width), static_cast<double>(size->height)};
  switch (rule) {
    case ImageRule::openai_tiles:
      return level == ImageDetail::low ? detail::openai_low_tokens : detail::openai_tiles(p);
    case ImageRule::openai_patches: return detail::multiplied(detail::openai_patches(p), patch_multiplier);
    case ImageRule::anthropic_area: return detail::anthropic_area(p);
    case ImageRule::gemini_tiles: return detail::gemini_tiles(p);
  }
  return 0;
}

}  // namespace governed::providers
