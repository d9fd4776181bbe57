#pragma once
/// @file
/// A message's content in Anthropic's messages format: its text and parts as blocks
/// (https://docs.anthropic.com/en/api/messages).
///
/// `{"type": "text", "text"}`; `{"type": "image", "source": {"type": "base64", "media_type",
/// "data"} | {"type": "url", "url"}}`, JPEG, PNG, GIF or WebP
/// (https://docs.anthropic.com/en/docs/build-with-claude/vision); `{"type": "document",
/// "source": {"type": "base64", "media_type": "application/pdf", "data"} | {"type": "url",
/// "url"} | {"type": "text", "media_type": "text/plain", "data"}, "title"?}`
/// (https://docs.anthropic.com/en/docs/build-with-claude/pdf-support). Anthropic fetches http
/// and https URLs only: a part given by another URL (Gemini's gs:) is refused.
///
/// A cache mark is `cache_control: {"type": "ephemeral"}`, with `"ttl": "1h"` for an hour, on
/// the part, or on the last block of a marked message. The prompt-caching page names no beta
/// header for the hour any longer, so none is sent
/// (https://platform.claude.com/docs/en/build-with-claude/prompt-caching).

#include <governed/cache_mark.hpp>
#include <governed/content_part.hpp>
#include <governed/dialect/detail/base64.hpp>
#include <governed/message.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

namespace governed::dialect::anthropic {

inline nlohmann::json cache_control(const CacheMark& mark) {
  nlohmann::json c = {{"type", "ephemeral"}};
  if (mark.ttl == CacheMark::Ttl::one_hour) c["ttl"] = "1h";
  return c;
}

inline nlohmann::json text_block(const std::string& text) { return {{"type", "text"}, {"text", text}}; }

/// The `source` of an image or document the provider fetches: http and https URLs only.
/// The URL is never quoted in the error: it may carry a signed token.
inline Result<nlohmann::json> url_source(const ContentPart& p, std::string_view what) {
  if (!p.url.starts_with("https://") && !p.url.starts_with("http://"))
    return fail(Errc::invalid_argument,
                fmt::format("Anthropic fetches only http and https URLs, and {} is given by another kind of URL", what));
  return nlohmann::json{{"type", "url"}, {"url", p.url}};
}

inline Result<nlohmann::json> image_block(const ContentPart& p) {
  if (!p.url.empty()) {
    auto source = url_source(p, "an image");
    if (!source) return tl::unexpected(source.error());
    return nlohmann::json{{"type", "image"}, {"source", std::move(*source)}};
  }
  constexpr std::string_view types[] = {"image/jpeg", "image/png", "image/gif", "image/webp"};
  if (std::find(std::begin(types), std::end(types), p.media_type) == std::end(types))
    return fail(Errc::invalid_argument,
                "Anthropic takes images as image/jpeg, image/png, image/gif or image/webp, and an image part "
                "has another media type");
  return nlohmann::json{
      {"type", "image"},
      {"source", {{"type", "base64"}, {"media_type", p.media_type}, {"data", detail::base64(p.data)}}}};
}

inline Result<nlohmann::json> document_block(const ContentPart& p) {
  nlohmann::json source;
  if (!p.url.empty()) {
    auto s = url_source(p, "a document");
    if (!s) return tl::unexpected(s.error());
    source = std::move(*s);
  } else if (p.media_type == "application/pdf") {
    source = {{"type", "base64"}, {"media_type", p.media_type}, {"data", detail::base64(p.data)}};
  } else if (p.media_type == "text/plain") {  // plain text, given as text or as its bytes
    source = {{"type", "text"}, {"media_type", "text/plain"}, {"data", p.data.empty() ? p.text : p.data}};
  } else {
    return fail(Errc::invalid_argument,
                "Anthropic takes documents as PDF or plain text, and a document part has another media type");
  }
  nlohmann::json block = {{"type", "document"}, {"source", std::move(source)}};
  if (!p.title.empty()) block["title"] = p.title;
  return block;
}

inline Result<nlohmann::json> part_block(const ContentPart& p) {
  auto block = p.kind == ContentPart::Kind::image      ? image_block(p)
               : p.kind == ContentPart::Kind::document ? document_block(p)
                                                       : Result<nlohmann::json>(text_block(p.text));
  if (block && p.cache) (*block)["cache_control"] = cache_control(*p.cache);
  return block;
}

/// A message's text, then its parts, as blocks appended to `blocks`. An empty text is left
/// out: Anthropic refuses empty text blocks.
inline Result<void> append_content(nlohmann::json& blocks, const Message& m) {
  if (!m.content.empty()) blocks.push_back(text_block(m.content));
  for (const ContentPart& p : m.parts) {
    auto block = part_block(p);
    if (!block) return tl::unexpected(block.error());
    blocks.push_back(std::move(*block));
  }
  return {};
}

/// The message's cache mark on its last block.
inline Result<void> mark_last(nlohmann::json& blocks, const Message& m) {
  if (!m.cache) return {};
  if (blocks.empty())
    return fail(Errc::invalid_argument, "a cache mark is on a message with nothing in it, and Anthropic marks blocks");
  blocks.back()["cache_control"] = cache_control(*m.cache);
  return {};
}

}  // namespace governed::dialect::anthropic
