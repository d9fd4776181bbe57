#pragma once
/// @file
/// `MessageBlocks`: the one choice of an Anthropic message, read in one pass by the answer
/// reader (answer_reader.hpp) from the blocks of `content`, by their `type`:
///   - `tool_use`: a tool call — `id`, `name`, and `input` written as JSON text, exactly as the
///     document reader writes it (`input.dump()`; json_capture.hpp);
///   - `thinking` (`thinking`, `signature`) and `redacted_thinking` (`data`): reasoning blocks;
///   - any other block: its `text`, when it has one, is the answer's text (the joined text of
///     the blocks, as before there were other types to read).
/// `stop_reason` is why it ended. A block's members may come in any order, so each is kept
/// until the block closes; the last of a repeated member counts, a member of the wrong type
/// reads as absent. dialect/answer_json.hpp reads the same from a document.

#include <governed/dialect/detail/answer_path.hpp>
#include <governed/dialect/detail/json_capture.hpp>
#include <governed/dialect/detail/reply_choice.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/dialect.hpp>

#include <string>
#include <utility>
#include <vector>

namespace governed::dialect::detail {

class MessageBlocks {
 public:
  MessageBlocks(providers::Dialect d, const JsonLimits&) noexcept : dialect_(d) {}

  /// A value begins at `p`.
  void value(const Path& p, const Value& v, JsonCapture& capture) {
    using N = Name;
    constexpr N E = N::element;
    if (p.is(N::content)) {
      text_.clear(), calls_.clear(), reasoning_.clear();
      return;
    }
    if (p.is(N::stop_reason)) return v.string_into(stop_reason_);
    if (p.is(N::content, E)) return block_.clear(), capture.clear();
    if (p.depth != 3 || !p.is_member_of(N::content, E)) return;
    switch (p.frames[2].name) {
      case N::type: return block_.set(block_.type, v);
      case N::text: return block_.set(block_.text, v);
      case N::id: return block_.set(block_.id, v);
      case N::name: return block_.set(block_.name, v);
      case N::thinking: return block_.set(block_.thinking, v);
      case N::signature: return block_.set(block_.signature, v);
      case N::data: return block_.set(block_.data, v);
      case N::input: return capture.start();
      default: return;
    }
  }

  /// The object at `p` closed: a block ends, and is what its type says.
  void closed(const Path& p, const JsonCapture& capture) {
    if (!p.is(Name::content, Name::element)) return;
    Block& b = block_;
    if (b.type.has && *b.type == "tool_use") {
      ToolCall& call = calls_.emplace_back(ToolCall{std::move(*b.id), std::move(*b.name)});
      call.arguments = capture.has() ? capture.text() : std::string("{}");
      call.arguments_object = !capture.has() || capture.object();
    } else if (b.type.has && *b.type == "thinking") {
      reasoning_.push_back(ReasoningBlock{std::move(*b.thinking), std::move(*b.signature)});
    } else if (b.type.has && *b.type == "redacted_thinking") {
      reasoning_.push_back(ReasoningBlock{{}, {}, std::move(*b.data)});
    } else if (b.text.has) {
      text_ += *b.text;
    }
  }

  void finish(providers::Completion& out) {
    providers::Choice c;
    c.content = std::move(text_);
    const bool called = !calls_.empty();
    set_finish(c, dialect_, std::move(stop_reason_), called);
    c.detail = detail_of(std::move(calls_), std::string{}, std::move(reasoning_));
    ChoiceList list;
    list.add(std::move(c));
    list.into(out);
  }

 private:
  /// A string member of a block: its value when the last one was a string.
  struct Member {
    std::string value;
    bool has = false;
    std::string& operator*() noexcept { return value; }
  };

  /// The block being read.
  struct Block {
    Member type, text, id, name, thinking, signature, data;
    void clear() noexcept {
      for (Member* m : {&type, &text, &id, &name, &thinking, &signature, &data}) m->has = false, m->value.clear();
    }
    static void set(Member& m, const Value& v) {
      v.string_into(m.value);
      m.has = v.string() != nullptr;
    }
  };

  providers::Dialect dialect_;
  std::string text_, stop_reason_;
  std::vector<ToolCall> calls_;
  std::vector<ReasoningBlock> reasoning_;
  Block block_;
};

}  // namespace governed::dialect::detail
