#pragma once
/// @file
/// `ContentPart`: one piece of a message — text, an image, or a document — as every provider
/// API that takes more than text names it: OpenAI's `text`, `image_url` and `file` parts,
/// Anthropic's `text`, `image` and `document` blocks, Gemini's `text`, `inlineData` and
/// `fileData` parts. Each dialect's encoder writes it in its own form
/// (include/governed/dialect/<home>/request.hpp).
///
/// Flat rather than a variant: a part is built with the factories below and read field by
/// field, and a text part costs one string.

#include <governed/cache_mark.hpp>
#include <governed/image_detail.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace governed {

struct ContentPart {
  enum class Kind : std::uint8_t { text, image, document };
  Kind kind = Kind::text;
  /// A text part's text; a document given as plain text holds it here too.
  std::string text{};
  /// An image or document the provider fetches itself (https:, or gs: for Gemini).
  std::string url{};
  /// An image's or document's bytes, raw: the encoders write them as base64.
  std::string data{};
  /// "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain".
  std::string media_type{};
  /// How closely OpenAI looks at an image; the token estimate follows it for every provider.
  ImageDetail detail = ImageDetail::automatic;
  /// A document's name (OpenAI's `filename`, Anthropic's `title`).
  std::string title{};
  /// A prompt-cache breakpoint after this part (Anthropic only).
  std::optional<CacheMark> cache{};

  static ContentPart of_text(std::string text) {
    ContentPart p;
    p.text = std::move(text);
    return p;
  }
  static ContentPart image_url(std::string url, ImageDetail detail = ImageDetail::automatic) {
    ContentPart p;
    p.kind = Kind::image;
    p.url = std::move(url);
    p.detail = detail;
    return p;
  }
  static ContentPart image_bytes(std::string bytes, std::string media_type,
                                 ImageDetail detail = ImageDetail::automatic) {
    ContentPart p;
    p.kind = Kind::image;
    p.data = std::move(bytes);
    p.media_type = std::move(media_type);
    p.detail = detail;
    return p;
  }
  static ContentPart document_bytes(std::string bytes, std::string media_type, std::string title = {}) {
    ContentPart p;
    p.kind = Kind::document;
    p.data = std::move(bytes);
    p.media_type = std::move(media_type);
    p.title = std::move(title);
    return p;
  }
  static ContentPart document_url(std::string url, std::string title = {}) {
    ContentPart p;
    p.kind = Kind::document;
    p.url = std::move(url);
    p.title = std::move(title);
    return p;
  }
  /// A document given as plain text (Anthropic's `source: {"type": "text"}`).
  static ContentPart document_text(std::string text, std::string title = {}) {
    ContentPart p;
    p.kind = Kind::document;
    p.text = std::move(text);
    p.media_type = "text/plain";
    p.title = std::move(title);
    return p;
  }

  friend bool operator==(const ContentPart&, const ContentPart&) = default;
};

}  // namespace governed
