#pragma once
/// @file
/// An image's width and height, read from the first bytes of a PNG, GIF, JPEG or WebP file,
/// and its media type from its signature.
///
/// Providers count an image's tokens by its size (providers/image_tokens.hpp), so the
/// estimate before a call needs the size of every image the caller sends as bytes. Only the
/// header is read, never the pixels: a decoder (stb_image) would decode the whole image and
/// has no WebP, and libwebp is a compiled library. The bytes come from the caller and may
/// come from anywhere, so every reader here checks each offset against the end before it
/// reads, allocates nothing and never recurses; a truncated or inconsistent header gives no
/// size (the estimate then counts the image at its detail's maximum) rather than a wrong one.
///
/// Formats, and where the size sits:
/// - PNG: the IHDR chunk, first after the 8-byte signature; width and height big-endian at
///   bytes 16–23 (https://www.w3.org/TR/png-3/#11IHDR).
/// - GIF: the logical screen descriptor after "GIF87a"/"GIF89a"; little-endian at bytes 6–9.
/// - JPEG: the first start-of-frame segment (SOF0–SOF15 but DHT C4, JPG C8 and DAC CC, which
///   share the range), found by walking the segments from SOI; height then width, big-endian
///   (ITU T.81, B.2.2). The walk reads at most the first 64 KiB: EXIF and ICC segments come
///   before the frame and are at most 64 KiB each, so nearly every file's frame is found there.
/// - WebP: a RIFF container whose first chunk is `VP8 ` (lossy: 14-bit sizes after the
///   key-frame start code), `VP8L` (lossless: 14-bit sizes minus one after the 0x2f
///   signature) or `VP8X` (extended: 24-bit canvas sizes minus one)
///   (https://developers.google.com/speed/webp/docs/riff_container, RFC 9649).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace governed::providers {

/// Pixels across and down, both at least 1.
struct ImageSize {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  friend bool operator==(const ImageSize&, const ImageSize&) = default;
};

namespace detail {

/// A reader over the bytes that refuses, rather than reads, past the end.
class ImageBytes {
 public:
  explicit ImageBytes(std::string_view bytes) noexcept : bytes_(bytes) {}
  std::size_t size() const noexcept { return bytes_.size(); }
  /// True when `n` bytes from `at` are all there.
  bool has(std::size_t at, std::size_t n) const noexcept { return at <= bytes_.size() && n <= bytes_.size() - at; }
  std::uint32_t byte(std::size_t at) const noexcept { return static_cast<unsigned char>(bytes_[at]); }
  std::uint32_t be16(std::size_t at) const noexcept { return byte(at) << 8 | byte(at + 1); }
  std::uint32_t le16(std::size_t at) const noexcept { return byte(at) | byte(at + 1) << 8; }
  std::uint32_t le24(std::size_t at) const noexcept { return le16(at) | byte(at + 2) << 16; }
  std::uint32_t be32(std::size_t at) const noexcept { return be16(at) << 16 | be16(at + 2); }
  std::uint32_t le32(std::size_t at) const noexcept { return le16(at) | le16(at + 2) << 16; }
  bool starts_with(std::size_t at, std::string_view s) const noexcept {
    return has(at, s.size()) && bytes_.substr(at, s.size()) == s;
  }

 private:
  std::string_view bytes_;
};

/// A size only when both sides are at least one pixel: a zero is a lying header.
inline std::optional<ImageSize> sized(std::uint32_t width, std::uint32_t height) noexcept {
  if (width == 0 || height == 0) return std::nullopt;
  return ImageSize{width, height};
}

inline constexpr std::string_view png_signature{"\x89PNG\r\n\x1a\n", 8};

inline std::optional<ImageSize> png_size(const ImageBytes& b) noexcept {
  // The signature, then IHDR's length (13) and type, then width and height.
  if (!b.starts_with(0, png_signature) || !b.has(8, 16) || b.be32(8) != 13 || !b.starts_with(12, "IHDR"))
    return std::nullopt;
  const std::uint32_t width = b.be32(16), height = b.be32(20);
  // PNG caps both at 2^31 - 1 (the spec's "PNG four-byte unsigned integer").
  if (width > 0x7fffffffu || height > 0x7fffffffu) return std::nullopt;
  return sized(width, height);
}

inline std::optional<ImageSize> gif_size(const ImageBytes& b) noexcept {
  if (!(b.starts_with(0, "GIF87a") || b.starts_with(0, "GIF89a")) || !b.has(6, 4)) return std::nullopt;
  return sized(b.le16(6), b.le16(8));
}

/// How far into a JPEG the walk for its frame header goes.
inline constexpr std::size_t jpeg_scan_limit = 64 * 1024;

/// True for the start-of-frame markers: C0–CF less DHT (C4), JPG (C8) and DAC (CC).
constexpr bool is_start_of_frame(std::uint32_t marker) noexcept {
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

/// Markers that stand alone, with no length after them: TEM and RST0–RST7.
constexpr bool is_standalone_marker(std::uint32_t marker) noexcept {
  return marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7);
}

inline std::optional<ImageSize> jpeg_size(const ImageBytes& whole) noexcept {
  if (!whole.starts_with(0, "\xFF\xD8")) return std::nullopt;
  const std::size_t end = whole.size() < jpeg_scan_limit ? whole.size() : jpeg_scan_limit;
  std::size_t at = 2;
  // Each turn moves `at` forward by at least one byte, so the walk ends within `end` turns.
  while (at < end) {
    if (whole.byte(at) != 0xFF) return std::nullopt;  // a segment must start with a marker
    while (at < end && whole.byte(at) == 0xFF) ++at;  // fill bytes before the marker code
    if (at >= end) return std::nullopt;
    const std::uint32_t marker = whole.byte(at++);
    if (is_standalone_marker(marker)) continue;
    // End of image, or scan data before any frame header: no size to find.
    if (marker == 0xD9 || marker == 0xDA || marker == 0xD8 || marker == 0x00) return std::nullopt;
    if (at + 2 > end) return std::nullopt;
    const std::size_t length = whole.be16(at);  // counts its own two bytes
    if (length < 2 || length > end - at) return std::nullopt;
    if (is_start_of_frame(marker)) {
      // Precision (1), height (2), width (2), components (1) at least.
      if (length < 8) return std::nullopt;
      return sized(whole.be16(at + 5), whole.be16(at + 3));
    }
    at += length;
  }
  return std::nullopt;
}

/// The size in a WebP file's first chunk, by the chunk's kind.
inline std::optional<ImageSize> webp_size(const ImageBytes& b) noexcept {
  if (!b.starts_with(0, "RIFF") || !b.starts_with(8, "WEBP") || !b.has(12, 8)) return std::nullopt;
  const std::size_t data = 20;
  const std::uint32_t chunk_size = b.le32(16);
  if (b.starts_with(12, "VP8 ")) {
    // A 3-byte frame tag whose low bit is 0 on a key frame, the start code 9d 01 2a, then
    // width and height in their low 14 bits (the top 2 are a scale, ignored by the size).
    if (chunk_size < 10 || !b.has(data, 10) || (b.byte(data) & 1) != 0 || !b.starts_with(data + 3, "\x9d\x01\x2a"))
      return std::nullopt;
    return sized(b.le16(data + 6) & 0x3fff, b.le16(data + 8) & 0x3fff);
  }
  if (b.starts_with(12, "VP8L")) {
    // The signature 0x2f, then 14 bits of width - 1, 14 of height - 1, 1 of alpha and a
    // 3-bit version that must be 0.
    if (chunk_size < 5 || !b.has(data, 5) || b.byte(data) != 0x2f) return std::nullopt;
    const std::uint32_t bits = b.le32(data + 1);
    if (bits >> 29 != 0) return std::nullopt;
    return ImageSize{(bits & 0x3fff) + 1, (bits >> 14 & 0x3fff) + 1};
  }
  if (b.starts_with(12, "VP8X")) {
    // Flags (1), reserved (3), then the canvas width - 1 and height - 1, 24 bits each.
    if (chunk_size < 10 || !b.has(data, 10)) return std::nullopt;
    return ImageSize{b.le24(data + 4) + 1, b.le24(data + 7) + 1};
  }
  return std::nullopt;
}

}  // namespace detail

/// The width and height in an image's header, when the bytes are a PNG, GIF, JPEG or WebP
/// file whose header is whole and consistent; none otherwise. Reads at most the first 64 KiB.
inline std::optional<ImageSize> image_size(std::string_view bytes) noexcept {
  const detail::ImageBytes b(bytes);
  if (auto s = detail::png_size(b)) return s;
  if (auto s = detail::jpeg_size(b)) return s;
  if (auto s = detail::gif_size(b)) return s;
  return detail::webp_size(b);
}

/// The media type an image's signature names ("image/png", "image/jpeg", "image/gif",
/// "image/webp"), for an encoder that must state one when the caller gave none (Anthropic's
/// `media_type`, Gemini's `mimeType`, a data URL). Only the signature is looked at: a file
/// with a good signature and a broken header still has its type.
inline std::optional<std::string_view> sniff_media_type(std::string_view bytes) noexcept {
  const detail::ImageBytes b(bytes);
  if (b.starts_with(0, detail::png_signature)) return "image/png";
  if (b.starts_with(0, "\xFF\xD8\xFF")) return "image/jpeg";
  if (b.starts_with(0, "GIF87a") || b.starts_with(0, "GIF89a")) return "image/gif";
  if (b.starts_with(0, "RIFF") && b.starts_with(8, "WEBP")) return "image/webp";
  return std::nullopt;
}

}  // namespace governed::providers
