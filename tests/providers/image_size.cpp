#include <governed/providers/image_size.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gp = governed::providers;

namespace {

// The samples tests/data/images/make_images.py writes, each with a size of its own.
struct ImageSample {
  const char* file;
  std::uint32_t width;
  std::uint32_t height;
  std::string_view media_type;
};

constexpr ImageSample image_samples[] = {
    {"sample.png", 37, 21, "image/png"},          {"sample.gif", 45, 17, "image/gif"},
    {"baseline.jpg", 50, 30, "image/jpeg"},       {"progressive.jpg", 33, 65, "image/jpeg"},
    {"lossy.webp", 120, 90, "image/webp"},        {"lossless.webp", 61, 29, "image/webp"},
    {"extended.webp", 300, 200, "image/webp"},
};

std::string image_sample_bytes(const char* file) {
  std::filesystem::path dir = std::filesystem::path(__FILE__).parent_path().parent_path() / "data";
  if (const char* env = std::getenv("GOVERNED_VECTORS"); env && *env) dir = env;
  std::ifstream in(dir / "images" / file, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The size read from a copy of `bytes` in a heap block of exactly their length, so that a
/// read past the end is outside the block (AddressSanitizer reports it in the sanitized build).
std::optional<gp::ImageSize> size_of_exact_copy(std::string_view bytes) {
  const auto block = std::make_unique<char[]>(bytes.size());
  std::copy(bytes.begin(), bytes.end(), block.get());
  return gp::image_size(std::string_view(block.get(), bytes.size()));
}

std::string be16_bytes(std::size_t v) { return {static_cast<char>(v >> 8 & 0xFF), static_cast<char>(v & 0xFF)}; }

/// A JPEG segment: marker, length (counting itself), payload.
std::string jpeg_segment(unsigned char marker, std::string_view payload) {
  return std::string{'\xFF', static_cast<char>(marker)} + be16_bytes(payload.size() + 2) + std::string(payload);
}

std::string jpeg_frame(std::size_t width, std::size_t height) {
  return jpeg_segment(0xC0, "\x08" + be16_bytes(height) + be16_bytes(width) + std::string("\x01\x01\x11\x00", 4));
}

}  // namespace

TEST_CASE("PNG, JPEG (baseline and progressive), GIF and WebP (lossy, lossless, extended) give their width and height",
          "[image]") {
  for (const auto& s : image_samples) {
    INFO(s.file);
    const std::string bytes = image_sample_bytes(s.file);
    CHECK(gp::image_size(bytes) == gp::ImageSize{s.width, s.height});
    CHECK(gp::sniff_media_type(bytes) == s.media_type);
  }
}

TEST_CASE("a truncated or lying header gives none, and no read passes the end", "[image]") {
  SECTION("every prefix of each sample: none until the header is whole, then the size, never another") {
    for (const auto& s : image_samples) {
      INFO(s.file);
      const std::string bytes = image_sample_bytes(s.file);
      bool found = false;
      for (std::size_t n = 0; n <= bytes.size(); ++n) {
        INFO("prefix of " << n << " bytes");
        const auto size = size_of_exact_copy(std::string_view(bytes).substr(0, n));
        if (size) CHECK(*size == gp::ImageSize{s.width, s.height});
        CHECK(size.has_value() >= found);  // once whole, a longer prefix keeps it
        found = size.has_value();
      }
      CHECK(found);
    }
  }
  SECTION("a JPEG segment whose length points past the end") {
    const std::string head = "\xFF\xD8";
    const std::string comment = "\xFF\xFE" + be16_bytes(600) + "short";
    CHECK_FALSE(size_of_exact_copy(head + comment + jpeg_frame(64, 48)));
    // The same frame behind an honest comment is found.
    CHECK(size_of_exact_copy(head + jpeg_segment(0xFE, "short") + jpeg_frame(64, 48)) == gp::ImageSize{64, 48});
  }
  SECTION("a JPEG segment length below its own two bytes, or scan data before any frame") {
    CHECK_FALSE(size_of_exact_copy(std::string("\xFF\xD8\xFF\xFE\x00\x01", 6) + jpeg_frame(64, 48)));
    CHECK_FALSE(size_of_exact_copy("\xFF\xD8" + jpeg_segment(0xDA, "scan") + jpeg_frame(64, 48)));
    CHECK_FALSE(size_of_exact_copy(std::string("\xFF\xD8\x00\xFF", 4) + jpeg_frame(64, 48)));
  }
  SECTION("a JPEG frame header past the first 64 KiB is not looked for") {
    std::string bytes = "\xFF\xD8";
    while (bytes.size() < 64 * 1024) bytes += jpeg_segment(0xE1, std::string(8000, '\0'));
    CHECK_FALSE(size_of_exact_copy(bytes + jpeg_frame(64, 48)));
  }
  SECTION("a zero width or height, or a size the format can not hold") {
    CHECK_FALSE(size_of_exact_copy("\xFF\xD8" + jpeg_frame(0, 48)));
    CHECK_FALSE(size_of_exact_copy(std::string("GIF89a\x00\x00\x11\x00", 10)));
    std::string png = image_sample_bytes("sample.png");
    png[16] = '\x80';  // width >= 2^31
    CHECK_FALSE(size_of_exact_copy(png));
  }
  SECTION("a PNG whose first chunk is not IHDR, and a WebP whose first chunk is another") {
    std::string png = image_sample_bytes("sample.png");
    png[12] = 'X';
    CHECK_FALSE(size_of_exact_copy(png));
    std::string webp = image_sample_bytes("lossless.webp");
    webp[15] = 'Q';  // "VP8Q"
    CHECK_FALSE(size_of_exact_copy(webp));
    std::string lossy = image_sample_bytes("lossy.webp");
    lossy[23] = '\x00';  // the start code 9d 01 2a broken
    CHECK_FALSE(size_of_exact_copy(lossy));
  }
  SECTION("bytes that are no image have neither a size nor a media type") {
    for (std::string_view text : {"", "hello", "{\"a\":1}", "RIFF\x04\x00\x00\x00WAVE"}) {
      CHECK_FALSE(size_of_exact_copy(text));
      CHECK_FALSE(gp::sniff_media_type(text));
    }
  }
}

TEST_CASE("a JPEG's frame header is found behind thousands of segments", "[image]") {
  std::string bytes = "\xFF\xD8";
  for (int i = 0; i < 6000; ++i) bytes += jpeg_segment(0xFE, "");
  CHECK(size_of_exact_copy(bytes + jpeg_frame(640, 480)) == gp::ImageSize{640, 480});
  // Fill bytes (repeated 0xFF) before a marker are skipped, as the standard allows.
  CHECK(size_of_exact_copy(std::string("\xFF\xD8\xFF\xFF\xFF", 5) + jpeg_frame(7, 9).substr(1)) ==
        gp::ImageSize{7, 9});
}
