#pragma once
/// @file
/// A successful reply's text and usage, read in one pass over the body: the reader behind each
/// home's `decode_completion` (dialect/reply.hpp).
///
/// It gives what `content_from_json` and `usage_from_json` (dialect/answer_json.hpp) give from
/// a parsed document — the same text, the same usage, the same refusals — without building the
/// document: a SAX handler follows the path of each value and keeps only the few it needs.
/// This is the reader on the success path of every call, where a DOM of the whole body would
/// cost more than everything else the governor does; the DOM readers stay for callers that
/// already hold a document. A test and a fuzz target hold the two to the same answers.
///
/// One reader serves every home and reads every usage shape in each (OpenAI chat and
/// Responses, Anthropic, Gemini): a gateway in front of a provider may answer in another
/// provider's usage shape, and the walk counts whatever usage the reply states. Only the text's
/// place depends on the dialect.
///
/// Untrusted bodies are bounded as `parse_json` bounds them: a body over `JsonLimits::max_bytes`
/// is refused before it is read, and one nested past `max_depth` when the reader gets there.
/// The reader never recurses: nlohmann's SAX parser keeps its own stack of open containers, and
/// this handler only counts them.

#include <governed/error.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/table.hpp>
#include <governed/providers/usage.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace governed::dialect {

namespace detail {

/// The member names on the paths the reader follows; everything else is `other`.
enum class Name : std::uint8_t {
  other,
  element,  ///< in a path: any element of an array
  usage, usage_metadata, choices, message, content, text, candidates, parts,
  prompt_tokens, completion_tokens, prompt_tokens_details, completion_tokens_details,
  cached_tokens, reasoning_tokens, input_tokens, output_tokens, input_tokens_details,
  output_tokens_details, cache_read_input_tokens, cache_creation_input_tokens,
  prompt_token_count, cached_content_token_count, candidates_token_count, thoughts_token_count,
};

/// The name of a member key; `other` for every key the reader does not follow. Sorted by
/// length first: most keys of a body are refused by their length alone.
inline Name name_of(std::string_view k) noexcept {
  const auto is = [&](std::string_view name) { return k == name; };
  switch (k.size()) {
    case 4:
      if (is("text")) return Name::text;
      return Name::other;
    case 5:
      if (is("usage")) return Name::usage;
      if (is("parts")) return Name::parts;
      return Name::other;
    case 7:
      if (is("choices")) return Name::choices;
      if (is("message")) return Name::message;
      if (is("content")) return Name::content;
      return Name::other;
    case 10:
      if (is("candidates")) return Name::candidates;
      return Name::other;
    case 12:
      if (is("input_tokens")) return Name::input_tokens;
      return Name::other;
    case 13:
      if (is("usageMetadata")) return Name::usage_metadata;
      if (is("prompt_tokens")) return Name::prompt_tokens;
      if (is("cached_tokens")) return Name::cached_tokens;
      if (is("output_tokens")) return Name::output_tokens;
      return Name::other;
    case 16:
      if (is("reasoning_tokens")) return Name::reasoning_tokens;
      if (is("promptTokenCount")) return Name::prompt_token_count;
      return Name::other;
    case 17:
      if (is("completion_tokens")) return Name::completion_tokens;
      return Name::other;
    case 18:
      if (is("thoughtsTokenCount")) return Name::thoughts_token_count;
      return Name::other;
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
    case 25:
      if (is("completion_tokens_details")) return Name::completion_tokens_details;
      return Name::other;
    case 27:
      if (is("cache_creation_input_tokens")) return Name::cache_creation_input_tokens;
      return Name::other;
    default: return Name::other;
  }
}

/// The usage fields a reply may carry, each as `count_at` reads it: absent or null is 0, a
/// non-negative integer is itself, anything else spoils the usage.
struct Count {
  std::int64_t value = 0;
  bool bad = false;
  void set(std::int64_t v) noexcept { value = v, bad = v < 0; }
  void spoil() noexcept { value = 0, bad = true; }
  void clear() noexcept { value = 0, bad = false; }
};

enum class Field : std::uint8_t {
  // usage (OpenAI chat, Responses, Anthropic)
  prompt_tokens, completion_tokens, prompt_cached, completion_reasoning, input_tokens, output_tokens,
  input_cached, output_reasoning, cache_read, cache_creation,
  // usageMetadata (Gemini)
  g_prompt, g_cached, g_candidates, g_thoughts,
  count
};

/// Where a text block's `text` goes.
enum class Block : std::uint8_t { none, anthropic, gemini, openai };

/// Follows the path of each value of a reply body and keeps the text and usage fields.
/// Depth past `max_depth` is counted, not followed: nothing the reader wants lies that deep.
/// Where a member repeats, the last one counts, as in a parsed document.
class AnswerReader {
 public:
  using json = nlohmann::json;
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  explicit AnswerReader(providers::Dialect d, std::size_t max_nesting = JsonLimits{}.max_depth) noexcept
      : dialect_(d), max_nesting_(max_nesting) {}

  /// The body nested past `max_nesting`: the parse stopped there.
  bool too_deep() const noexcept { return too_deep_; }

  bool null() { return scalar(Scalar::null, 0, nullptr); }
  bool boolean(bool) { return scalar(Scalar::other, 0, nullptr); }
  bool number_integer(number_integer_t v) { return scalar(Scalar::integer, v, nullptr); }
  bool number_unsigned(number_unsigned_t v) {
    // get<std::int64_t>() of a count past INT64_MAX wraps negative: refused, as there.
    return scalar(Scalar::integer, static_cast<std::int64_t>(v), nullptr);
  }
  bool number_float(number_float_t, const string_t&) { return scalar(Scalar::other, 0, nullptr); }
  bool binary(binary_t&) { return scalar(Scalar::other, 0, nullptr); }
  bool string(string_t& s) { return scalar(Scalar::string, 0, &s); }

  bool start_object(std::size_t) { return open(false); }
  bool start_array(std::size_t) { return open(true); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(string_t& k) {
    if (depth_ == 0 || depth_ > max_depth) return true;
    frames_[depth_ - 1].name = name_of(k);
    if (depth_ == 1) top_key(frames_[0].name);
    if (depth_ == 2 && frames_[0].name == Name::usage && usage_is_object_) {
      const Name n = frames_[1].name;
      if (n == Name::prompt_tokens) has_prompt_tokens_ = true;
      if (n == Name::input_tokens) has_input_tokens_ = true;
      if (n == Name::input_tokens_details) has_input_details_ = true;
    }
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

  /// The reading, once the whole body parsed.
  providers::Completion finish() && {
    providers::Completion out;
    std::move(*this).finish(out);
    return out;
  }

  /// The reading, once the whole body parsed, written into `out` (a fresh `Completion`): the
  /// text moves once, from the reader to where its reader wants it.
  void finish(providers::Completion& out) && {
    if (!top_is_object_) return;
    switch (dialect_) {
      case providers::Dialect::anthropic: out.content = std::move(anthropic_text_); break;
      case providers::Dialect::gemini: out.content = std::move(gemini_text_); break;
      default:
        if (!message_is_object_) out.content = std::move(choice_text_);
        else if (message_content_ == Content::string) out.content = std::move(message_text_);
        else if (message_content_ == Content::blocks) out.content = std::move(message_blocks_);
        break;
    }
    out.usage = usage();
  }

 private:
  static constexpr std::size_t max_depth = 8;
  enum class Scalar : std::uint8_t { null, integer, string, other };
  enum class Content : std::uint8_t { none, string, blocks };

  struct Frame {
    bool array = false;
    Name name = Name::other;  // objects: the member being read
    std::size_t index = 0;    // arrays: the element being read
  };

  /// Whether the path from the top object is exactly `names` (`Name::element` for an array).
  template <class... N>
  bool at(N... names) const noexcept {
    constexpr std::size_t n = sizeof...(N);
    if (depth_ != n) return false;
    const Name want[] = {names...};
    for (std::size_t i = 0; i < n; ++i) {
      const Frame& f = frames_[i];
      if (want[i] == Name::element ? !f.array : (f.array || f.name != want[i])) return false;
    }
    return true;
  }
  /// Whether the array at `level` is at its first element.
  bool first(std::size_t level) const noexcept { return frames_[level].index == 0; }

  bool at_first_choice_message() const noexcept {
    return at(Name::choices, Name::element, Name::message) && first(1);
  }
  bool at_message_content() const noexcept {
    return at(Name::choices, Name::element, Name::message, Name::content) && first(1);
  }
  bool at_choice_text() const noexcept { return at(Name::choices, Name::element, Name::text) && first(1); }
  bool at_gemini_content() const noexcept { return at(Name::candidates, Name::element, Name::content) && first(1); }
  bool at_gemini_parts() const noexcept {
    return at(Name::candidates, Name::element, Name::content, Name::parts) && first(1);
  }

  /// The text block an object beginning here would be.
  Block block_here() const noexcept {
    if (at(Name::content, Name::element)) return Block::anthropic;
    if (at(Name::candidates, Name::element, Name::content, Name::parts, Name::element) && first(1)) return Block::gemini;
    if (at(Name::choices, Name::element, Name::message, Name::content, Name::element) && first(1)) return Block::openai;
    return Block::none;
  }

  bool open(bool array) {
    if (depth_ >= max_nesting_) {
      too_deep_ = true;
      return false;
    }
    if (depth_ == 0) top_is_object_ = !array;
    else value(Scalar::other, 0, nullptr, array ? Kind::array : Kind::object);
    if (!array && block_ == Block::none && depth_ <= max_depth) {
      block_ = block_here();
      if (block_ != Block::none) block_depth_ = depth_ + 1, block_text_.clear(), block_has_text_ = false;
    }
    ++depth_;
    if (depth_ <= max_depth) frames_[depth_ - 1] = Frame{array};
    return true;
  }

  bool close() {
    if (block_ != Block::none && depth_ == block_depth_) {
      if (block_has_text_) {
        std::string& to = block_ == Block::anthropic ? anthropic_text_ : block_ == Block::gemini ? gemini_text_ : message_blocks_;
        to += block_text_;
      }
      block_ = Block::none;
    }
    --depth_;
    next_element();
    return true;
  }

  /// After a value inside an array, the next element has the next index.
  void next_element() noexcept {
    if (depth_ > 0 && depth_ <= max_depth && frames_[depth_ - 1].array) ++frames_[depth_ - 1].index;
  }

  void top_key(Name n) {
    switch (n) {
      case Name::usage:
        usage_is_object_ = false, has_prompt_tokens_ = has_input_tokens_ = has_input_details_ = false;
        for (std::size_t i = 0; i < static_cast<std::size_t>(Field::g_prompt); ++i) counts_[i].clear();
        break;
      case Name::usage_metadata:
        has_usage_metadata_ = true;
        for (std::size_t i = static_cast<std::size_t>(Field::g_prompt); i < counts_.size(); ++i) counts_[i].clear();
        break;
      case Name::choices:
        message_is_object_ = false, message_content_ = Content::none;
        message_text_.clear(), message_blocks_.clear(), choice_text_.clear();
        break;
      case Name::content: anthropic_text_.clear(); break;
      case Name::candidates: gemini_text_.clear(); break;
      default: break;
    }
  }

  enum class Kind : std::uint8_t { scalar, object, array };

  bool scalar(Scalar s, std::int64_t v, const string_t* text) {
    if (depth_ == 0) {
      top_is_object_ = false;
      return true;
    }
    value(s, v, text, Kind::scalar);
    next_element();
    return true;
  }

  /// A value — scalar, object or array — begins at the current path.
  void value(Scalar s, std::int64_t v, const string_t* text, Kind kind) {
    if (depth_ > max_depth) return;
    if (depth_ == 1 && frames_[0].name == Name::usage) usage_is_object_ = kind == Kind::object;
    if (Count* c = count_here()) {
      if (kind != Kind::scalar) c->spoil();
      else if (s == Scalar::integer) c->set(v);
      else if (s == Scalar::null) c->clear();
      else c->spoil();
    }
    if (at_first_choice_message()) {
      message_is_object_ = kind == Kind::object;
      message_content_ = Content::none, message_text_.clear(), message_blocks_.clear();
    } else if (at_message_content()) {
      message_text_.clear(), message_blocks_.clear();
      message_content_ = kind == Kind::array ? Content::blocks : s == Scalar::string && kind == Kind::scalar ? Content::string : Content::none;
      if (message_content_ == Content::string) message_text_ = *text;
    } else if (at_choice_text()) {
      choice_text_ = kind == Kind::scalar && s == Scalar::string ? *text : std::string{};
    } else if (at_gemini_content() || at_gemini_parts()) {
      gemini_text_.clear();
    } else if (block_ != Block::none && depth_ == block_depth_ && frames_[depth_ - 1].name == Name::text) {
      block_has_text_ = kind == Kind::scalar && s == Scalar::string;
      if (block_has_text_) block_text_ = *text;
    }
  }

  /// Whether the value is inside the top object's `usage` object.
  bool usage_member() const noexcept { return !frames_[0].array && frames_[0].name == Name::usage && !frames_[1].array; }

  /// The usage field the current value is, if it is one.
  Count* count_here() noexcept {
    const auto at = [&](Field f) { return &counts_[static_cast<std::size_t>(f)]; };
    if (depth_ == 2 && usage_member()) {
      switch (frames_[1].name) {
        case Name::prompt_tokens: return at(Field::prompt_tokens);
        case Name::completion_tokens: return at(Field::completion_tokens);
        case Name::input_tokens: return at(Field::input_tokens);
        case Name::output_tokens: return at(Field::output_tokens);
        case Name::cache_read_input_tokens: return at(Field::cache_read);
        case Name::cache_creation_input_tokens: return at(Field::cache_creation);
        default: return nullptr;
      }
    }
    if (depth_ == 3 && usage_member()) {
      const Name outer = frames_[1].name, inner = frames_[2].name;
      if (frames_[1].array || frames_[2].array) return nullptr;
      if (outer == Name::prompt_tokens_details && inner == Name::cached_tokens) return at(Field::prompt_cached);
      if (outer == Name::completion_tokens_details && inner == Name::reasoning_tokens) return at(Field::completion_reasoning);
      if (outer == Name::input_tokens_details && inner == Name::cached_tokens) return at(Field::input_cached);
      if (outer == Name::output_tokens_details && inner == Name::reasoning_tokens) return at(Field::output_reasoning);
      return nullptr;
    }
    if (depth_ == 2 && !frames_[0].array && frames_[0].name == Name::usage_metadata && !frames_[1].array) {
      switch (frames_[1].name) {
        case Name::prompt_token_count: return at(Field::g_prompt);
        case Name::cached_content_token_count: return at(Field::g_cached);
        case Name::candidates_token_count: return at(Field::g_candidates);
        case Name::thoughts_token_count: return at(Field::g_thoughts);
        default: return nullptr;
      }
    }
    return nullptr;
  }

  /// The usage as `dialect::usage_from_json` reads it from the same body.
  std::optional<providers::Usage> usage() const noexcept {
    const auto c = [&](Field f) -> const Count& { return counts_[static_cast<std::size_t>(f)]; };
    const auto ok = [&](std::initializer_list<Field> fs) {
      for (Field f : fs)
        if (c(f).bad) return false;
      return true;
    };
    providers::Usage u;
    if (has_usage_metadata_) {
      if (!ok({Field::g_prompt, Field::g_cached, Field::g_candidates, Field::g_thoughts})) return std::nullopt;
      u.input_tokens = c(Field::g_prompt).value;
      u.cached_input_tokens = c(Field::g_cached).value;
      u.reasoning_tokens = c(Field::g_thoughts).value;
      u.output_tokens = c(Field::g_candidates).value + u.reasoning_tokens;
    } else if (usage_is_object_ && has_prompt_tokens_) {
      if (!ok({Field::prompt_tokens, Field::completion_tokens, Field::prompt_cached, Field::completion_reasoning}))
        return std::nullopt;
      u.input_tokens = c(Field::prompt_tokens).value;
      u.output_tokens = c(Field::completion_tokens).value;
      u.cached_input_tokens = c(Field::prompt_cached).value;
      u.reasoning_tokens = c(Field::completion_reasoning).value;
    } else if (usage_is_object_ && has_input_tokens_) {
      if (has_input_details_) {  // OpenAI Responses API
        if (!ok({Field::input_tokens, Field::output_tokens, Field::input_cached, Field::output_reasoning}))
          return std::nullopt;
        u.input_tokens = c(Field::input_tokens).value;
        u.output_tokens = c(Field::output_tokens).value;
        u.cached_input_tokens = c(Field::input_cached).value;
        u.reasoning_tokens = c(Field::output_reasoning).value;
      } else {  // Anthropic: input_tokens excludes the cache
        if (!ok({Field::input_tokens, Field::output_tokens, Field::cache_read, Field::cache_creation}))
          return std::nullopt;
        u.output_tokens = c(Field::output_tokens).value;
        u.cached_input_tokens = c(Field::cache_read).value;
        u.cache_write_tokens = c(Field::cache_creation).value;
        u.input_tokens = c(Field::input_tokens).value + u.cached_input_tokens + u.cache_write_tokens;
      }
    } else {
      return std::nullopt;
    }
    if (u.cached_input_tokens + u.cache_write_tokens > u.input_tokens || u.reasoning_tokens > u.output_tokens)
      return std::nullopt;
    return u;
  }

  providers::Dialect dialect_;
  std::size_t max_nesting_;
  bool too_deep_ = false;
  std::array<Frame, max_depth> frames_{};
  std::size_t depth_ = 0;
  bool top_is_object_ = false;

  std::array<Count, static_cast<std::size_t>(Field::count)> counts_{};
  bool has_usage_metadata_ = false;
  bool usage_is_object_ = false;
  bool has_prompt_tokens_ = false, has_input_tokens_ = false, has_input_details_ = false;

  bool message_is_object_ = false;
  Content message_content_ = Content::none;
  std::string message_text_, message_blocks_, choice_text_, anthropic_text_, gemini_text_;

  Block block_ = Block::none;  // the text block being read, and its depth inside it
  std::size_t block_depth_ = 0;
  std::string block_text_;
  bool block_has_text_ = false;
};

}  // namespace detail

namespace detail {

/// Parses `body` through `reader`, within `limits`; a `parse_error` when it is past them or is
/// not JSON.
inline Result<void> parse_answer(AnswerReader& reader, std::string_view body, const JsonLimits& limits) {
  if (body.size() > limits.max_bytes)
    return fail(Errc::parse_error,
                fmt::format("the reply body is {} bytes, more than the limit of {}", body.size(), limits.max_bytes));
  if (!nlohmann::json::sax_parse(body.begin(), body.end(), &reader)) {
    if (reader.too_deep())
      return fail(Errc::parse_error, fmt::format("the reply body nests deeper than the limit of {} levels", limits.max_depth));
    return fail(Errc::parse_error, "the reply body is not JSON");
  }
  return {};
}

/// The text of the first choice and the usage of a successful reply whose text sits where
/// `dialect` puts it; a `parse_error` when the body is not JSON or is past `limits`.
inline Result<providers::Completion> decode_answer(providers::Dialect dialect, std::string_view body,
                                                 const JsonLimits& limits) {
  AnswerReader reader(dialect, limits.max_depth);
  if (auto parsed = parse_answer(reader, body, limits); !parsed) return tl::unexpected(std::move(parsed).error());
  return std::move(reader).finish();
}

/// The same reading, written into `into`: the completion when the body reads, else nothing (and
/// the `parse_error`). A reply that keeps its reading (`transport::Reply::completion`) gets its
/// text moved once, from the reader into the reply, with no `Result` of a `Completion` between.
/// Out of line: the reading (the reader's set-up, the parse, the reader's strings freed) is one
/// piece, which every driver that reads a reply would otherwise carry inlined.
[[gnu::noinline]] inline Result<void> decode_answer(providers::Dialect dialect, std::string_view body, const JsonLimits& limits,
                                  std::optional<providers::Completion>& into) {
  into.reset();
  AnswerReader reader(dialect, limits.max_depth);
  auto parsed = parse_answer(reader, body, limits);
  if (parsed) std::move(reader).finish(into.emplace());
  return parsed;
}

}  // namespace detail

}  // namespace governed::dialect
