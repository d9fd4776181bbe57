#pragma once
/// @file
/// The conversation in OpenAI's chat-completions form (`messages`), as OpenAI and every
/// OpenAI-compatible provider (Azure, Groq, Mistral, OpenRouter, DeepSeek…) take it. Field
/// names and values are those of OpenAI's API reference
/// (https://platform.openai.com/docs/api-reference/chat/create), read from the types the
/// official SDK generates from it (openai-node 6.49.0,
/// `resources/chat/completions/completions.d.ts`: `ChatCompletionMessageParam` and its parts).
///
/// - A text message is `{"role", "content": "<text>"}`, as it always was.
/// - With parts, `content` is an array: `{"type": "text", "text"}`,
///   `{"type": "image_url", "image_url": {"url", "detail"}}` (bytes as a `data:` URL; `detail`
///   left out when automatic) and, for a PDF given as bytes, `{"type": "file", "file":
///   {"file_data": <data: URL>, "filename"}}`; a plain-text document is a text part. Only a
///   user message takes images and files; the other roles take text parts only.
/// - An assistant's calls: `"tool_calls": [{"id", "type": "function", "function": {"name",
///   "arguments"}}]`, the arguments the string they were (this format keeps any text there,
///   object or not); `content` is null when the turn has no text ("required unless
///   `tool_calls` … is specified").
/// - A tool's result: `{"role": "tool", "tool_call_id", "content"}`, one message per result.
///   The format has no error flag: a failed tool's text goes as it is.
///
/// What the format has no place for is left out: reasoning blocks and signatures (whatever
/// the turn's origin: chat completions never take them back), cache marks (OpenAI caches on
/// its own), a tool result's `name`. What it can not hold is refused, naming what and where
/// (never the call's text): an image or a file outside a user message, a document by URL or
/// of a type other than PDF or plain text, an image without a URL or bytes.

#include <governed/attempt.hpp>
#include <governed/content_part.hpp>
#include <governed/dialect/detail/data_url.hpp>
#include <governed/message.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace governed::dialect::openai {

namespace writer {

/// Where a part sits, for an error that names it without quoting the call.
struct PartPlace {
  std::size_t message;
  std::size_t part;
  std::string_view role;
};

inline tl::unexpected<Error> cannot_hold(const PartPlace& at, std::string_view what) {
  return fail(Errc::invalid_argument,
              fmt::format("chat completions can not take {} (message {}, a {} message, part {})", what, at.message,
                          at.role, at.part));
}

inline nlohmann::json text_part(const std::string& text) { return {{"type", "text"}, {"text", text}}; }

inline Result<nlohmann::json> image_part(const ContentPart& p, const PartPlace& at) {
  nlohmann::json image = nlohmann::json::object();
  if (!p.url.empty()) {
    image["url"] = p.url;
  } else if (!p.data.empty() && !p.media_type.empty()) {
    image["url"] = dialect::detail::data_url(p.media_type, p.data);
  } else {
    return cannot_hold(at, "an image without a URL, or bytes without their media type");
  }
  if (p.detail != ImageDetail::automatic) image["detail"] = p.detail == ImageDetail::low ? "low" : "high";
  return nlohmann::json{{"type", "image_url"}, {"image_url", std::move(image)}};
}

/// OpenAI reads documents only as file inputs of PDF bytes
/// (https://platform.openai.com/docs/guides/pdf-files); text is a text part.
inline Result<nlohmann::json> document_part(const ContentPart& p, const PartPlace& at) {
  if (p.media_type == "text/plain") return text_part(p.data.empty() ? p.text : p.data);
  if (!p.url.empty()) return cannot_hold(at, "a document by URL (send its bytes)");
  if (p.media_type != "application/pdf" || p.data.empty())
    return cannot_hold(at, fmt::format("a document of type '{}' (only PDF bytes or plain text)", p.media_type));
  nlohmann::json file{{"file_data", dialect::detail::data_url(p.media_type, p.data)}};
  if (!p.title.empty()) file["filename"] = p.title;
  return nlohmann::json{{"type", "file"}, {"file", std::move(file)}};
}

inline Result<nlohmann::json> content_part(const ContentPart& p, const PartPlace& at) {
  if (p.kind == ContentPart::Kind::text) return text_part(p.text);
  if (at.role != "user") return cannot_hold(at, "an image or a file outside a user message");
  if (p.kind == ContentPart::Kind::image) return image_part(p, at);
  return document_part(p, at);
}

/// The content array of message `index`: its text first when it has some, then its parts.
inline Result<nlohmann::json> content_parts(const Message& m, std::size_t index) {
  nlohmann::json parts = nlohmann::json::array();
  if (!m.content.empty()) parts.push_back(text_part(m.content));
  for (std::size_t i = 0; i < m.parts.size(); ++i) {
    auto part = content_part(m.parts[i], {index, i, m.role});
    if (!part) return tl::unexpected(std::move(part.error()));
    parts.push_back(std::move(*part));
  }
  return parts;
}

inline nlohmann::json tool_calls(const Message& m) {
  nlohmann::json calls = nlohmann::json::array();
  for (const ToolCall& c : m.tool_calls)
    calls.push_back({{"id", c.id},
                     {"type", "function"},
                     {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
  return calls;
}

/// A message that is more than role and text: parts, calls, or both.
inline Result<nlohmann::json> rich_message(const Message& m, std::size_t index) {
  nlohmann::json out{{"role", m.role}};
  if (!m.parts.empty()) {
    auto parts = content_parts(m, index);
    if (!parts) return tl::unexpected(std::move(parts.error()));
    out["content"] = std::move(*parts);
  } else if (!m.content.empty() || m.tool_calls.empty()) {
    out["content"] = m.content;
  } else {
    out["content"] = nullptr;
  }
  if (!m.tool_calls.empty()) out["tool_calls"] = tool_calls(m);
  if (!m.tool_call_id.empty()) out["tool_call_id"] = m.tool_call_id;
  return out;
}

}  // namespace writer

/// The request's messages in chat-completions form; an error naming the part the format can
/// not hold.
inline Result<nlohmann::json> messages(const Request& request) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < request.messages.size(); ++i) {
    const Message& m = request.messages[i];
    if (m.parts.empty() && m.tool_calls.empty()) {
      // Today's path, byte for byte: role and text (reasoning has no place here), and the
      // call a tool result answers.
      out.push_back({{"role", m.role}, {"content", m.content}});
      if (!m.tool_call_id.empty()) out.back()["tool_call_id"] = m.tool_call_id;
      continue;
    }
    auto rich = writer::rich_message(m, i);
    if (!rich) return tl::unexpected(std::move(rich.error()));
    out.push_back(std::move(*rich));
  }
  return out;
}

}  // namespace governed::dialect::openai
