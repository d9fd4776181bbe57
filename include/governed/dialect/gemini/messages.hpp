#pragma once
/// @file
/// The conversation as Gemini's generateContent takes it: `systemInstruction` and
/// `contents: [{"role": "user"|"model", "parts": [...]}]` (v1beta,
/// https://ai.google.dev/api/generate-content). A text-only message is one `{"text"}` part,
/// as it always was; the rest of a `Message` becomes these parts:
///
/// - text `{"text"}`; bytes `{"inlineData": {"mimeType", "data": <base64>}}`; a URL
///   `{"fileData": {"mimeType", "fileUri"}}`. Gemini fetches File API URIs, `gs://` objects and,
///   since January 2026, public and signed `https://` URLs
///   (https://ai.google.dev/gemini-api/docs/file-input-methods); `mimeType` is required in both
///   (https://googleapis.github.io/js-genai/release_docs/interfaces/types.FileData.html), so a
///   part without a media type is refused, as is a URL of another scheme. A `data:` URL (how
///   OpenAI's format carries bytes) is sent as the bytes it holds; a document given as text as
///   `text/plain` bytes. A part's `title` and `detail` have no place and are dropped.
/// - an assistant's calls `{"functionCall": {"name", "args", "id"}}` after its text: `args` is an
///   object, so arguments that are not one are refused; the Developer API takes `id`
///   ("only supported in the Gemini Developer API",
///   https://reference.rnfirebase.io/_react-native-firebase/ai/FunctionCall.html).
/// - reasoning and signatures, only back to Gemini itself (`Message::origin`): a reasoning block
///   as `{"text", "thought": true, "thoughtSignature"}` before the turn's text, a call's
///   signature as `thoughtSignature` on its own functionCall part. "If you receive a thought
///   signature in a model response, you should pass it back exactly as received"; Gemini 3
///   answers a 4xx without it during function calling
///   (https://ai.google.dev/gemini-api/docs/thought-signatures). For any other origin they are
///   dropped, never forged: the turn's text and calls still go.
/// - tool results: consecutive `tool` messages become one user content of
///   `{"functionResponse": {"name", "response", "id"}}` parts. `response` must be a JSON object
///   (https://googleapis.github.io/js-genai/classes/types.FunctionResponse.html: "Use "output"
///   key to specify function output and "error" key to specify error details … If "output" and
///   "error" keys are not specified, then whole "response" is treated as function output"): a
///   result that is a JSON object goes as it is, other text as `{"result": <text>}` (the form
///   Google's SDKs write), a failed tool's as `{"error": …}`. `name` is required: the message's,
///   else the name of the call with that id earlier in the conversation. A `tool` message with
///   neither an id nor a name is sent as the user's text, as before.

#include <governed/dialect/detail/base64.hpp>
#include <governed/dialect/detail/data_url.hpp>
#include <governed/dialect/detail/tool_ids.hpp>
#include <governed/json_limits.hpp>
#include <governed/message.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::dialect::gemini {

/// The error for a call whose `what` Gemini's format has no place for. Never quotes the call's
/// text, which may hold anything.
inline tl::unexpected<Error> cannot_hold(std::string_view what) {
  return fail(Errc::invalid_argument, fmt::format("Gemini's generateContent can not hold {}", what));
}

inline nlohmann::json inline_data(std::string_view media_type, std::string_view bytes) {
  return {{"inlineData", {{"mimeType", media_type}, {"data", dialect::detail::base64(bytes)}}}};
}

/// A URL Gemini fetches itself: a File API URI or a public one (https:), or a Cloud Storage
/// object (gs:).
inline bool fetchable_uri(std::string_view url) noexcept {
  return url.starts_with("https://") || url.starts_with("gs://");
}

inline Result<nlohmann::json> url_part(const ContentPart& p) {
  if (auto inlined = dialect::detail::read_data_url(p.url)) return inline_data(inlined->media_type, inlined->bytes);
  if (!fetchable_uri(p.url)) return cannot_hold("an image or document by a URL other than https: or gs:");
  if (p.media_type.empty())
    return cannot_hold("an image or document by URL without its media type (fileData.mimeType is required)");
  return nlohmann::json{{"fileData", {{"mimeType", p.media_type}, {"fileUri", p.url}}}};
}

inline Result<nlohmann::json> content_part(const ContentPart& p) {
  if (p.kind == ContentPart::Kind::text) return nlohmann::json{{"text", p.text}};
  if (!p.url.empty()) return url_part(p);
  if (!p.data.empty()) {
    if (p.media_type.empty())
      return cannot_hold("an image or document's bytes without their media type (inlineData.mimeType is required)");
    return inline_data(p.media_type, p.data);
  }
  if (p.kind == ContentPart::Kind::document && !p.text.empty())
    return inline_data(p.media_type.empty() ? "text/plain" : p.media_type, p.text);
  return cannot_hold("an image or document with neither bytes nor a URL");
}

/// A call's arguments as functionCall.args, an object. They came from a model, maybe through
/// another provider's string, so they are read within the JSON limits.
inline Result<nlohmann::json> call_arguments(const ToolCall& call) {
  const auto refused = [&] {
    return cannot_hold(fmt::format("the arguments of tool call {}: functionCall.args must be a JSON object", call.id));
  };
  if (!call.arguments_object) return refused();
  if (call.arguments.empty()) return nlohmann::json::object();
  auto args = parse_json(call.arguments, JsonLimits{}, "a tool call's arguments");
  if (!args) return tl::unexpected(std::move(args.error()));
  if (!args->is_object()) return refused();
  return std::move(*args);
}

/// `own`: the turn was written by the provider the call goes to, so its signature goes back.
inline Result<nlohmann::json> function_call_part(const ToolCall& call, bool own) {
  auto args = call_arguments(call);
  if (!args) return tl::unexpected(std::move(args.error()));
  nlohmann::json function_call = {{"name", call.name}, {"args", std::move(*args)}};
  // An id governed made up for a call Gemini named none goes back as Gemini sent it: without.
  if (!call.id.empty() && !detail::is_placed_tool_id(call.id)) function_call["id"] = call.id;
  nlohmann::json part = {{"functionCall", std::move(function_call)}};
  if (own && !call.signature.empty()) part["thoughtSignature"] = call.signature;
  return part;
}

inline nlohmann::json thought_part(const ReasoningBlock& block) {
  nlohmann::json part = {{"text", block.text}, {"thought", true}};
  if (!block.signature.empty()) part["thoughtSignature"] = block.signature;
  return part;
}

/// The parts of a user or assistant turn that is more than text: its reasoning (only when
/// `own`), its text, its parts, its calls.
inline Result<nlohmann::json> turn_parts(const Message& m, bool own) {
  nlohmann::json parts = nlohmann::json::array();
  if (own)
    for (const ReasoningBlock& block : m.reasoning)
      if (block.redacted.empty()) parts.push_back(thought_part(block));
  if (!m.content.empty()) parts.push_back({{"text", m.content}});
  for (const ContentPart& p : m.parts) {
    auto part = content_part(p);
    if (!part) return tl::unexpected(std::move(part.error()));
    parts.push_back(std::move(*part));
  }
  for (const ToolCall& call : m.tool_calls) {
    auto part = function_call_part(call, own);
    if (!part) return tl::unexpected(std::move(part.error()));
    parts.push_back(std::move(*part));
  }
  // Gemini refuses a content without parts; a turn whose reasoning was all dropped keeps its
  // (empty) text, as an empty text message always was written.
  if (parts.empty()) parts.push_back({{"text", m.content}});
  return parts;
}

/// A tool result, answered by Gemini's functionResponse rather than sent as the user's text.
inline bool function_result(const Message& m) noexcept {
  return m.role == "tool" && !(m.tool_call_id.empty() && m.name.empty());
}

/// The text of a message that may only hold text: its content, then its text parts.
inline Result<std::string> text_of(const Message& m, std::string_view where) {
  std::string text = m.content;
  for (const ContentPart& p : m.parts) {
    if (p.kind != ContentPart::Kind::text) return cannot_hold(fmt::format("an image or document in {}", where));
    if (!text.empty() && !p.text.empty()) text += "\n\n";
    text += p.text;
  }
  return text;
}

/// The name of the tool whose call `id` answers: the assistant's call with that id before
/// `before` in `messages`; empty when there is none.
inline std::string_view called_tool(const std::vector<Message>& messages, std::size_t before, std::string_view id) {
  for (std::size_t i = before; i-- > 0;)
    for (const ToolCall& call : messages[i].tool_calls)
      if (call.id == id) return call.name;
  return {};
}

/// functionResponse.response: an object, as the format requires.
inline nlohmann::json function_response(const std::string& text, bool is_error) {
  nlohmann::json value = text;
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{')
    if (auto parsed = parse_json(text, JsonLimits{}, "a tool's result"); parsed && parsed->is_object())
      value = std::move(*parsed);
  if (is_error) return {{"error", std::move(value)}};
  if (value.is_object()) return value;
  return {{"result", std::move(value)}};
}

inline Result<nlohmann::json> function_response_part(const std::vector<Message>& messages, std::size_t at) {
  const Message& m = messages[at];
  std::string_view name = m.name;
  if (name.empty()) name = called_tool(messages, at, m.tool_call_id);
  if (name.empty())
    return cannot_hold(fmt::format("the result of tool call {} without the tool's name: no call with that id "
                                   "comes before it, and functionResponse.name is required",
                                   m.tool_call_id));
  auto text = text_of(m, "a tool's result");
  if (!text) return tl::unexpected(std::move(text.error()));
  nlohmann::json response = {{"name", name}, {"response", function_response(*text, m.is_error)}};
  if (!m.tool_call_id.empty() && !detail::is_placed_tool_id(m.tool_call_id)) response["id"] = m.tool_call_id;
  return nlohmann::json{{"functionResponse", std::move(response)}};
}

/// The conversation written: `contents`, and the system messages' text joined by blank lines
/// for `systemInstruction` (empty: none).
struct Conversation {
  nlohmann::json contents = nlohmann::json::array();
  std::string system;
};

/// `provider`: the attempt's; a turn whose origin it is gets its reasoning and signatures back.
inline Result<Conversation> conversation(const std::vector<Message>& messages, std::string_view provider) {
  Conversation out;
  bool after_result = false;  // the last content holds function responses: the next joins it
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const Message& m = messages[i];
    const bool result = function_result(m);
    if (m.role == "system") {
      if (!out.system.empty()) out.system += "\n\n";
      if (m.parts.empty()) {
        out.system += m.content;
      } else {
        auto text = text_of(m, "a system message");
        if (!text) return tl::unexpected(std::move(text.error()));
        out.system += *text;
      }
    } else if (result) {
      auto part = function_response_part(messages, i);
      if (!part) return tl::unexpected(std::move(part.error()));
      if (after_result)
        out.contents.back()["parts"].push_back(std::move(*part));
      else
        out.contents.push_back({{"role", "user"}, {"parts", nlohmann::json::array({std::move(*part)})}});
    } else if (m.text_only()) {
      out.contents.push_back({{"role", m.role == "assistant" ? "model" : "user"},
                              {"parts", nlohmann::json::array({{{"text", m.content}}})}});
    } else {
      auto parts = turn_parts(m, !m.origin.empty() && m.origin == provider);
      if (!parts) return tl::unexpected(std::move(parts.error()));
      out.contents.push_back({{"role", m.role == "assistant" ? "model" : "user"}, {"parts", std::move(*parts)}});
    }
    after_result = result;
  }
  return out;
}

}  // namespace governed::dialect::gemini
