#pragma once
/// @file
/// `GeminiCandidates`: the candidates of a Gemini `generateContent` reply, read in one pass by
/// the answer reader (answer_reader.hpp). Each `candidates[i]` gives a choice from the parts of
/// `content.parts`:
///   - a `functionCall` object: a tool call — `id` (a call without one is `call_<n>`, its place
///     in the choice, reply_choice.hpp), `name`, `args` written as JSON text exactly as the
///     document reader writes it (json_capture.hpp), and the part's `thoughtSignature`;
///   - else a `text` with `thought: true`: a reasoning block, with the part's `thoughtSignature`;
///   - else a `text`: the answer's text (the joined text of the parts).
/// `finishReason` is why it ended (`STOP` after a call is `tool_calls`). A part's members may
/// come in any order, so each is kept until the part closes; the last of a repeated member
/// counts, a member of the wrong type reads as absent. dialect/answer_json.hpp reads the same.

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

class GeminiCandidates {
 public:
  GeminiCandidates(providers::Dialect d, const JsonLimits&) noexcept : dialect_(d) {}

  /// A value begins at `p`.
  void value(const Path& p, const Value& v, JsonCapture& capture) {
    using N = Name;
    constexpr N E = N::element;
    if (p.frames[0].array || p.frames[0].name != N::candidates) return;  // most values: usage, ids
    if (p.is(N::candidates)) return choices_.clear();
    if (p.is(N::candidates, E)) {
      reading_.clear();
      if (!v.is_object()) add_choice();
      return;
    }
    if (p.is(N::candidates, E, N::finish_reason_gemini)) return v.string_into(reading_.finish);
    if (p.is(N::candidates, E, N::content) || p.is(N::candidates, E, N::content, N::parts)) return reading_.parts();
    if (p.is(N::candidates, E, N::content, N::parts, E)) return part_.clear(), capture.clear();
    if (p.is_member_of(N::candidates, E, N::content, N::parts, E)) return part_member(p.frames[p.depth - 1].name, v, capture);
    if (p.is_member_of(N::candidates, E, N::content, N::parts, E, N::function_call)) {
      switch (p.frames[p.depth - 1].name) {
        case N::id: return v.string_into(part_.call_id);
        case N::name: return v.string_into(part_.call_name);
        case N::args: return capture.start();
        default: return;
      }
    }
  }

  /// The object at `p` closed: a part or a candidate ends.
  void closed(const Path& p, const JsonCapture& capture) {
    using N = Name;
    constexpr N E = N::element;
    if (p.is(N::candidates, E)) return add_choice();
    if (!p.is(N::candidates, E, N::content, N::parts, E)) return;
    Part& part = part_;
    if (part.call) {
      ToolCall& call = reading_.calls.emplace_back(ToolCall{std::move(part.call_id), std::move(part.call_name)});
      if (call.id.empty()) call.id = placed_tool_id(reading_.calls.size() - 1);
      call.arguments = capture.has() ? capture.text() : std::string("{}");
      call.arguments_object = !capture.has() || capture.object();
      call.signature = std::move(part.signature);
    } else if (part.has_text && part.thought) {
      reading_.reasoning.push_back(ReasoningBlock{std::move(part.text), std::move(part.signature)});
    } else if (part.has_text) {
      reading_.text += part.text;
    }
  }

  void finish(providers::Completion& out) { choices_.into(out); }

 private:
  /// The candidate being read.
  struct Reading {
    std::string text, finish;
    std::vector<ToolCall> calls;
    std::vector<ReasoningBlock> reasoning;
    void clear() { parts(), finish.clear(); }
    /// A `content` or `parts` member begins: the parts of an earlier one are gone.
    void parts() { text.clear(), calls.clear(), reasoning.clear(); }
  };

  /// The part being read.
  struct Part {
    std::string text, signature, call_id, call_name;
    bool has_text = false, thought = false, call = false;
    void clear() noexcept {
      text.clear(), signature.clear(), call_id.clear(), call_name.clear();
      has_text = thought = call = false;
    }
  };

  void part_member(Name name, const Value& v, JsonCapture& capture) {
    switch (name) {
      case Name::text:
        v.string_into(part_.text);
        part_.has_text = v.string() != nullptr;
        return;
      case Name::thought: part_.thought = v.is_true(); return;
      case Name::thought_signature: return v.string_into(part_.signature);
      case Name::function_call:
        part_.call = v.is_object();
        part_.call_id.clear(), part_.call_name.clear();
        return capture.clear();
      default: return;
    }
  }

  void add_choice() {
    providers::Choice c;
    Reading& r = reading_;
    c.content = std::move(r.text);
    set_finish(c, dialect_, std::move(r.finish), !r.calls.empty());
    c.detail = detail_of(std::move(r.calls), std::string{}, std::move(r.reasoning));
    choices_.add(std::move(c));
    r.clear();
  }

  providers::Dialect dialect_;
  ChoiceList choices_;
  Reading reading_;
  Part part_;
};

}  // namespace governed::dialect::detail
