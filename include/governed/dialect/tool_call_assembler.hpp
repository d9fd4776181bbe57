#pragma once
/// @file
/// `ToolCallAssembler`: a stream's tool-call pieces (`ToolCallDelta`, stream_event.hpp) put
/// together into whole calls, per choice, in the order they began.
///
/// A piece continues the call of its choice with the same index (OpenAI's fragments, an
/// Anthropic block's `input_json_delta`), or begins one when there is none; a whole piece
/// (Gemini's `functionCall`) is always a call of its own. The calls' total size is bounded
/// by `JsonLimits::max_bytes` and their number by `max_calls`: pieces past either are dropped
/// and `overflowed()` says so, so a hostile stream can not grow the reader without end.

#include <governed/dialect/detail/reply_choice.hpp>
#include <governed/dialect/detail/tool_ids.hpp>
#include <governed/dialect/stream_event.hpp>
#include <governed/json_limits.hpp>
#include <governed/tool_call.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::dialect {

class ToolCallAssembler {
 public:
  static constexpr std::size_t max_calls = 4096;

  explicit ToolCallAssembler(const JsonLimits& limits = {}) noexcept : limits_(limits) {}

  /// Adds an event's pieces, all of choice `choice`.
  void add(std::uint32_t choice, const std::vector<ToolCallDelta>& pieces) {
    for (const auto& piece : pieces) add(choice, piece);
  }

  void add(std::uint32_t choice, const ToolCallDelta& piece) {
    const std::size_t size = piece.id.size() + piece.name.size() + piece.arguments.size() + piece.signature.size();
    if (bytes_ + size > limits_.max_bytes) {
      overflowed_ = true;
      return;
    }
    Partial* into = piece.whole ? nullptr : find(choice, piece.index);
    if (!into) {
      if (calls_.size() >= max_calls) {
        overflowed_ = true;
        return;
      }
      into = &calls_.emplace_back(Partial{choice, piece.index, piece.whole, {}});
    }
    bytes_ += size;
    if (!piece.id.empty()) into->call.id = piece.id;
    if (!piece.name.empty()) into->call.name = piece.name;
    if (!piece.signature.empty()) into->call.signature = piece.signature;
    into->call.arguments += piece.arguments;
  }

  bool empty() const noexcept { return calls_.empty(); }
  /// Pieces were dropped: past the size limit or the number of calls.
  bool overflowed() const noexcept { return overflowed_; }

  /// The calls of choice `choice`, whole, in the order they began. Arguments left empty (a
  /// call without any) are `{}`; `arguments_object` says whether the text is a JSON object;
  /// a call its provider gave no id (Gemini may not) gets `call_<n>`, its place in the choice.
  std::vector<ToolCall> take(std::uint32_t choice) {
    std::vector<ToolCall> out;
    for (auto& p : calls_) {
      if (p.choice != choice) continue;
      ToolCall& c = out.emplace_back(std::move(p.call));
      if (c.arguments.empty()) c.arguments = "{}";
      if (c.id.empty()) c.id = detail::placed_tool_id(out.size() - 1);
      c.arguments_object = is_object(c.arguments);
    }
    std::erase_if(calls_, [&](const Partial& p) { return p.choice == choice; });
    return out;
  }

  /// Whether `text` is one JSON object, within the limits (checked without building it).
  bool is_object(std::string_view text) const { return detail::is_json_object(text, limits_); }

 private:
  struct Partial {
    std::uint32_t choice = 0;
    std::uint32_t index = 0;
    bool whole = false;
    ToolCall call;
  };

  Partial* find(std::uint32_t choice, std::uint32_t index) noexcept {
    auto it = std::find_if(calls_.rbegin(), calls_.rend(),
                           [&](const Partial& p) { return !p.whole && p.choice == choice && p.index == index; });
    return it == calls_.rend() ? nullptr : &*it;
  }

  JsonLimits limits_;
  std::vector<Partial> calls_;
  std::size_t bytes_ = 0;
  bool overflowed_ = false;
};

}  // namespace governed::dialect
