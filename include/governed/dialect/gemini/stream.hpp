#pragma once
/// @file
/// Google Gemini streamed (`:streamGenerateContent?alt=sse`): each event is a whole
/// `GenerateContentResponse`: text in the `text` parts of `candidates[0].content` (thought
/// parts are not output), `usageMetadata` (the last one is the call's), a `finishReason` on
/// the last candidate. The stream has no end marker beyond the end of the body.

#include <governed/dialect/detail/json_body.hpp>
#include <governed/dialect/stream_event.hpp>
#include <governed/json_limits.hpp>
#include <governed/wire/sse.hpp>

#include <nlohmann/json.hpp>

#include <string_view>
#include <utility>
#include <variant>

namespace governed::dialect::gemini {

/// Reads the events of a Gemini stream; an event's data past `limits` is refused unread.
class StreamDecoder {
 public:
  explicit StreamDecoder(const JsonLimits& limits = {}) noexcept : limits_(limits) {}

  StreamEvent decode(const wire::SseEvent& e) const {
    auto parsed = detail::event_object(e.data, limits_);
    if (auto* refused = std::get_if<StreamEvent>(&parsed)) return std::move(*refused);
    const nlohmann::json& j = std::get<nlohmann::json>(parsed);
    if (auto err = j.find("error"); err != j.end() && !err->is_null()) return detail::error_event(e.data);
    StreamEvent out;
    if (auto c = j.find("candidates"); c != j.end() && c->is_array() && !c->empty() && (*c)[0].is_object()) {
      const auto& first = (*c)[0];
      if (auto content = first.find("content"); content != first.end() && content->is_object()) {
        if (auto parts = content->find("parts"); parts != content->end() && parts->is_array()) {
          for (const auto& p : *parts) {
            if (!p.is_object()) continue;
            if (auto t = p.find("thought"); t != p.end() && t->is_boolean() && t->get<bool>()) continue;
            out.text += detail::string_at(p, "text");
          }
        }
      }
      if (!detail::string_at(first, "finishReason").empty()) out.done = true;
    }
    if (j.contains("usageMetadata")) out.usage = detail::usage_in(j);
    return out;
  }

 private:
  JsonLimits limits_;
};

}  // namespace governed::dialect::gemini
