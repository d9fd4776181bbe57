#include <governed/providers/image_tokens.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <optional>

namespace gp = governed::providers;
using governed::ImageDetail;
using gp::ImageRule;

namespace {

std::uint32_t tokens_of(ImageRule rule, std::uint32_t width, std::uint32_t height,
                        ImageDetail level = ImageDetail::high, double multiplier = 1.0) {
  return gp::image_tokens(rule, gp::ImageSize{width, height}, level, multiplier);
}

std::uint32_t tokens_by_url(ImageRule rule, ImageDetail level = ImageDetail::high, double multiplier = 1.0) {
  return gp::image_tokens(rule, std::nullopt, level, multiplier);
}

}  // namespace

TEST_CASE("each provider's worked examples", "[image]") {
  SECTION("OpenAI tiles: 85 at low detail, 85 + 170 per 512-px tile after scaling at high") {
    CHECK(tokens_of(ImageRule::openai_tiles, 1024, 1024) == 765);   // 768² → 4 tiles
    CHECK(tokens_of(ImageRule::openai_tiles, 2048, 4096) == 1105);  // 768 × 1 536 → 6 tiles
    CHECK(tokens_of(ImageRule::openai_tiles, 4096, 4096, ImageDetail::low) == 85);
    CHECK(tokens_of(ImageRule::openai_tiles, 100, 100, ImageDetail::low) == 85);
    CHECK(tokens_of(ImageRule::openai_tiles, 500, 500) == 255);  // small images are not scaled up
    // `auto` leaves the choice to the provider: counted as the larger, `high`.
    CHECK(tokens_of(ImageRule::openai_tiles, 1024, 1024, ImageDetail::automatic) == 765);
  }
  SECTION("OpenAI patches: 32-px patches, at most 1 536, times the model's multiplier") {
    CHECK(tokens_of(ImageRule::openai_patches, 1024, 1024) == 1024);
    CHECK(tokens_of(ImageRule::openai_patches, 1800, 2400) == 1452);  // scaled to 33 × 44 patches
    CHECK(tokens_of(ImageRule::openai_patches, 1024, 1024, ImageDetail::high, 1.62) == 1659);  // 1 658.88 up
    CHECK(tokens_of(ImageRule::openai_patches, 1800, 2400, ImageDetail::high, 2.46) == 3572);  // 3 571.92 up
  }
  SECTION("Anthropic: width × height / 750, after scaling to a 1 568-px edge and ~1 600 tokens") {
    CHECK(tokens_of(ImageRule::anthropic_area, 1000, 1000) == 1334);
    CHECK(tokens_of(ImageRule::anthropic_area, 200, 200) == 54);
    CHECK(tokens_of(ImageRule::anthropic_area, 1092, 1092) == 1590);
    const auto photo = tokens_of(ImageRule::anthropic_area, 4000, 3000);
    CHECK(photo <= 1600);
    CHECK(photo >= 1590);
    // A long edge over 1 568 px is scaled down even when the area is small.
    CHECK(tokens_of(ImageRule::anthropic_area, 3136, 100) == 105);  // 1 568 × 50 / 750, up
  }
  SECTION("Gemini: 258 up to 384 px a side, else 258 per 768 × 768 tile") {
    CHECK(tokens_of(ImageRule::gemini_tiles, 384, 384) == 258);
    CHECK(tokens_of(ImageRule::gemini_tiles, 385, 10) == 258);
    CHECK(tokens_of(ImageRule::gemini_tiles, 1600, 900) == 1548);  // 3 × 2 tiles
    CHECK(tokens_of(ImageRule::gemini_tiles, 768, 769) == 516);
  }
}

TEST_CASE("an image by URL counts at its detail's maximum", "[image]") {
  CHECK(tokens_by_url(ImageRule::openai_tiles) == 1445);  // 768 × 2 048: 2 × 4 tiles
  CHECK(tokens_by_url(ImageRule::openai_tiles, ImageDetail::automatic) == 1445);
  CHECK(tokens_by_url(ImageRule::openai_tiles, ImageDetail::low) == 85);
  CHECK(tokens_by_url(ImageRule::openai_patches) == 1536);
  CHECK(tokens_by_url(ImageRule::openai_patches, ImageDetail::high, 1.62) == 2489);  // 2 488.32 up
  CHECK(tokens_by_url(ImageRule::anthropic_area) == 1600);
  CHECK(tokens_by_url(ImageRule::gemini_tiles) == 1032);  // governed's convention: 4 tiles
  // No image of any size counts more than one by URL, under the rules that have a maximum.
  for (std::uint32_t w = 1; w <= 9000; w += 97) {
    for (std::uint32_t h = 1; h <= 9000; h += 89) {
      INFO(w << " x " << h);
      for (auto level : {ImageDetail::automatic, ImageDetail::low, ImageDetail::high}) {
        REQUIRE(tokens_of(ImageRule::openai_tiles, w, h, level) <= tokens_by_url(ImageRule::openai_tiles, level));
        REQUIRE(tokens_of(ImageRule::openai_patches, w, h, level, 1.62) <=
                tokens_by_url(ImageRule::openai_patches, level, 1.62));
        REQUIRE(tokens_of(ImageRule::anthropic_area, w, h, level) <= tokens_by_url(ImageRule::anthropic_area, level));
      }
    }
  }
}

TEST_CASE("extreme sizes and multipliers give a defined count, never an overflow", "[image]") {
  constexpr auto most = std::numeric_limits<std::uint32_t>::max();
  CHECK(tokens_of(ImageRule::openai_tiles, most, 1) <= 1445);
  CHECK(tokens_of(ImageRule::openai_patches, 1, most) == 1536);
  CHECK(tokens_of(ImageRule::anthropic_area, most, most) <= 1600);
  CHECK(tokens_of(ImageRule::gemini_tiles, most, most) == most);
  // A size of zero is no size: counted as an image by URL.
  CHECK(tokens_of(ImageRule::anthropic_area, 0, 100) == 1600);
  // A multiplier that is not a positive number counts as 1.
  CHECK(tokens_of(ImageRule::openai_patches, 1024, 1024, ImageDetail::high, -2) == 1024);
  CHECK(tokens_of(ImageRule::openai_patches, 1024, 1024, ImageDetail::high,
                  std::numeric_limits<double>::quiet_NaN()) == 1024);
  CHECK(tokens_of(ImageRule::openai_patches, 1024, 1024, ImageDetail::high,
                  std::numeric_limits<double>::infinity()) == 1024);
}

TEST_CASE("the provider table's image rule names read back, and an unknown name is none", "[image]") {
  for (auto rule : {ImageRule::openai_tiles, ImageRule::openai_patches, ImageRule::anthropic_area,
                    ImageRule::gemini_tiles})
    CHECK(gp::image_rule_from(gp::to_string(rule)) == rule);
  CHECK(gp::to_string(ImageRule::anthropic_area) == "anthropic_area");
  CHECK_FALSE(gp::image_rule_from("openai"));
  CHECK_FALSE(gp::image_rule_from("OPENAI_TILES"));
  CHECK_FALSE(gp::image_rule_from(""));
}
