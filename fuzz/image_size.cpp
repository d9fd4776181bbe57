// Fuzzes the image header readers (providers/image_size.hpp) and the token rules over what
// they read (providers/image_tokens.hpp). For any bytes the reader must answer without
// reading past the end (libFuzzer's buffer is exactly the input, and AddressSanitizer guards
// it), and:
//   - a size has both sides at least 1, and comes only from bytes whose signature names a
//     media type;
//   - the size depends on the header alone: the same bytes with more after them read the
//     same size (a truncated file gives none or the true size, never another);
//   - under each rule with a maximum, no size counts more tokens than an image by URL.
//
// Seeds (fuzz/corpus/image_size/, written by tests/data/images/make_images.py): the test
// samples of each format, a JPEG whose frame header lies past the 64 KiB walk, and one behind
// thousands of segments.

#include <governed/providers/image_size.hpp>
#include <governed/providers/image_tokens.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace gp = governed::providers;

namespace {

void check_tokens(gp::ImageSize size) {
  using governed::ImageDetail;
  for (auto level : {ImageDetail::automatic, ImageDetail::low, ImageDetail::high}) {
    for (auto rule : {gp::ImageRule::openai_tiles, gp::ImageRule::openai_patches, gp::ImageRule::anthropic_area}) {
      if (gp::image_tokens(rule, size, level, 1.62) > gp::image_tokens(rule, std::nullopt, level, 1.62))
        __builtin_trap();
    }
    if (gp::image_tokens(gp::ImageRule::gemini_tiles, size, level) < 258) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto found = gp::image_size(bytes);
  const auto media_type = gp::sniff_media_type(bytes);
  if (!found) return 0;
  if (found->width == 0 || found->height == 0 || !media_type) __builtin_trap();
  const std::string longer = std::string(bytes) + std::string(64, '\xFF');
  if (gp::image_size(longer) != found) __builtin_trap();
  check_tokens(*found);
  return 0;
}
