#pragma once
/// @file
/// Where a value of a reply body stands, as the one-pass reader (answer_reader.hpp) follows it:
/// the names of the members it knows (`Name`), the open containers from the top object down
/// (`Frame`, `Path`), and the value that begins there (`Value`). Each dialect family's reader
/// of choices (chat_choices.hpp, message_blocks.hpp, gemini_candidates.hpp) asks "is this value
/// at `choices[i].message.content`?" in these terms, and nothing else of the parse.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace governed::dialect::detail {

/// The member names on the paths the reader follows; everything else is `other`.
enum class Name : std::uint8_t {
  other,
  element,  ///< in a path: any element of an array
  // usage
  usage, usage_metadata, prompt_tokens, completion_tokens, prompt_tokens_details, completion_tokens_details,
  cached_tokens, reasoning_tokens, input_tokens, output_tokens, input_tokens_details, output_tokens_details,
  cache_read_input_tokens, cache_creation_input_tokens, prompt_token_count, cached_content_token_count,
  candidates_token_count, thoughts_token_count,
  // the reply's id
  id, response_id,
  // chat completions: choices[i].message.{content, refusal, tool_calls, reasoning_content}, finish_reason
  choices, message, content, text, refusal, tool_calls, function, name, arguments, reasoning_content, finish_reason,
  // Anthropic: content[i].{type, text, id, name, input, thinking, signature, data}, stop_reason
  type, input, thinking, signature, data, stop_reason,
  // Gemini: candidates[i].content.parts[j].{text, thought, thoughtSignature, functionCall.{id, name, args}}
  candidates, parts, thought, thought_signature, function_call, args, finish_reason_gemini,
};

/// The name of a member key; `other` for every key the reader does not follow. Sorted by
/// length first: most keys of a body are refused by their length alone, and most of the rest
/// by their first letter, before a whole comparison (every key of every reply comes here).
inline Name name_of(std::string_view k) noexcept {
  const auto is = [&](std::string_view name) { return k[0] == name[0] && k == name; };
  switch (k.size()) {
    case 2: return is("id") ? Name::id : Name::other;
    case 4:
      if (is("text")) return Name::text;
      if (is("type")) return Name::type;
      if (is("name")) return Name::name;
      if (is("data")) return Name::data;
      if (is("args")) return Name::args;
      return Name::other;
    case 5:
      if (is("usage")) return Name::usage;
      if (is("parts")) return Name::parts;
      if (is("input")) return Name::input;
      return Name::other;
    case 7:
      if (is("choices")) return Name::choices;
      if (is("message")) return Name::message;
      if (is("content")) return Name::content;
      if (is("refusal")) return Name::refusal;
      if (is("thought")) return Name::thought;
      return Name::other;
    case 8:
      if (is("thinking")) return Name::thinking;
      if (is("function")) return Name::function;
      return Name::other;
    case 9:
      if (is("arguments")) return Name::arguments;
      if (is("signature")) return Name::signature;
      return Name::other;
    case 10:
      if (is("candidates")) return Name::candidates;
      if (is("tool_calls")) return Name::tool_calls;
      if (is("responseId")) return Name::response_id;
      return Name::other;
    case 11: return is("stop_reason") ? Name::stop_reason : Name::other;
    case 12:
      if (is("input_tokens")) return Name::input_tokens;
      if (is("functionCall")) return Name::function_call;
      if (is("finishReason")) return Name::finish_reason_gemini;
      return Name::other;
    case 13:
      if (is("usageMetadata")) return Name::usage_metadata;
      if (is("prompt_tokens")) return Name::prompt_tokens;
      if (is("cached_tokens")) return Name::cached_tokens;
      if (is("output_tokens")) return Name::output_tokens;
      if (is("finish_reason")) return Name::finish_reason;
      return Name::other;
    case 16:
      if (is("reasoning_tokens")) return Name::reasoning_tokens;
      if (is("promptTokenCount")) return Name::prompt_token_count;
      if (is("thoughtSignature")) return Name::thought_signature;
      return Name::other;
    case 17:
      if (is("completion_tokens")) return Name::completion_tokens;
      if (is("reasoning_content")) return Name::reasoning_content;
      return Name::other;
    case 18: return is("thoughtsTokenCount") ? Name::thoughts_token_count : Name::other;
    case 20:
      if (is("input_tokens_details")) return Name::input_tokens_details;
      if (is("candidatesTokenCount")) return Name::candidates_token_count;
      return Name::other;
    case 21:
      if (is("prompt_tokens_details")) return Name::prompt_tokens_details;
      if (is("output_tokens_details")) return Name::output_tokens_details;
      return Name::other;
    case 23:
      if (is("cache_read_input_tokens")) return Name::cache_read_input_tokens;
      if (is("cachedContentTokenCount")) return Name::cached_content_token_count;
      return Name::other;
    case 25: return is("completion_tokens_details") ? Name::completion_tokens_details : Name::other;
    case 27: return is("cache_creation_input_tokens") ? Name::cache_creation_input_tokens : Name::other;
    default: return Name::other;
  }
}

/// An open container: an array and the element being read, or an object and its member.
struct Frame {
  bool array = false;
  Name name = Name::other;  // objects: the member being read
  std::size_t index = 0;    // arrays: the element being read
};

/// The path of a value from the top object: the containers it is inside, outermost first.
struct Path {
  const Frame* frames = nullptr;
  std::size_t depth = 0;

  /// Whether the path is exactly `names` (`Name::element` for an array's element).
  template <class... N>
  bool is(N... names) const noexcept {
    constexpr std::size_t n = sizeof...(N);
    if (depth != n) return false;
    const Name want[] = {names...};
    for (std::size_t i = 0; i < n; ++i) {
      const Frame& f = frames[i];
      if (want[i] == Name::element ? !f.array : (f.array || f.name != want[i])) return false;
    }
    return true;
  }

  /// Whether the value is a member of an object at exactly `names` (any member: the caller
  /// reads its name, `frames[depth - 1].name`).
  template <class... N>
  bool is_member_of(N... names) const noexcept {
    if (depth != sizeof...(N) + 1 || frames[depth - 1].array) return false;
    return Path{frames, depth - 1}.is(names...);
  }
};

/// A value beginning: its kind and, for a scalar, the value itself.
struct Value {
  enum class Kind : std::uint8_t { null, boolean, integer, unsigned_integer, floating, string, other, object, array };
  Kind kind = Kind::null;
  bool truth = false;
  std::int64_t integer = 0;
  std::uint64_t unsigned_integer = 0;
  double floating = 0;
  const std::string* text = nullptr;

  bool is_object() const noexcept { return kind == Kind::object; }
  bool is_array() const noexcept { return kind == Kind::array; }
  bool is_container() const noexcept { return kind == Kind::object || kind == Kind::array; }
  /// The string, when the value is one; null otherwise (read as absent).
  const std::string* string() const noexcept { return kind == Kind::string ? text : nullptr; }
  bool is_true() const noexcept { return kind == Kind::boolean && truth; }

  /// Sets `to` to the value when it is a string, else empties it: a member of the wrong type
  /// reads as absent, as the document readers read it.
  void string_into(std::string& to) const {
    if (const std::string* s = string()) to = *s;
    else to.clear();
  }
};

}  // namespace governed::dialect::detail
