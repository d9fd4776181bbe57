#pragma once
/// @file
/// A successful reply read whole in one pass over the body — every choice with its text, tool
/// calls, refusal, reasoning and finish reason, the usage, the reply's id: the reader behind
/// each home's `decode_completion` (dialect/reply.hpp).
///
/// It gives what `completion_from_json` and `usage_from_json` (dialect/answer_json.hpp) give
/// from a parsed document without building the document: a SAX handler follows the path of
/// each value (answer_path.hpp) and hands it to the readers of what lies there — the usage
/// (answer_usage.hpp), and the choices in the dialect family's shape (chat_choices.hpp,
/// message_blocks.hpp, gemini_candidates.hpp) — which keep only what they need. This is the
/// reader on the success path of every call, where a DOM of the whole body would cost more
/// than everything else the governor does; the DOM readers stay for callers that already hold
/// a document. A test and a fuzz target hold the two to the same answers.
///
/// Untrusted bodies are bounded as `parse_json` bounds them: a body over `JsonLimits::max_bytes`
/// is refused before it is read, and one nested past `max_depth` when the reader gets there.
/// The reader never recurses: nlohmann's SAX parser keeps its own stack of open containers, and
/// this handler only counts them (a tool call's object arguments, built whole, have a stack of
/// their own: json_capture.hpp).

#include <governed/dialect/detail/answer_path.hpp>
#include <governed/dialect/detail/answer_usage.hpp>
#include <governed/dialect/detail/chat_choices.hpp>
#include <governed/dialect/detail/gemini_candidates.hpp>
#include <governed/dialect/detail/json_capture.hpp>
#include <governed/dialect/detail/message_blocks.hpp>
#include <governed/error.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/dialect.hpp>
#include <governed/providers/request_id.hpp>
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

/// Follows the path of each value of a reply body and hands it to the readers of the usage
/// and of the `Choices` (the dialect family's reader of choices). Depth past `max_depth` is
/// counted, not followed: nothing the reader wants lies that deep, except inside a captured
/// value, which is handed every event. Where a member repeats, the last one counts, as in a
/// parsed document.
template <class Choices>
class AnswerReader {
 public:
  using json = nlohmann::json;
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;
  using Kind = Value::Kind;

  AnswerReader(providers::Dialect d, const JsonLimits& limits)
      : choices_(d, limits),
        max_nesting_(limits.max_depth),
        id_name_(d == providers::Dialect::gemini ? Name::response_id : Name::id) {}

  /// The body nested past `max_nesting`: the parse stopped there.
  bool too_deep() const noexcept { return too_deep_; }

  bool null() { return scalar(Value{Kind::null}); }
  bool boolean(bool b) { return scalar(Value{Kind::boolean, b}); }
  bool number_integer(number_integer_t v) { return scalar(Value{Kind::integer, false, v}); }
  bool number_unsigned(number_unsigned_t v) { return scalar(Value{Kind::unsigned_integer, false, 0, v}); }
  bool number_float(number_float_t v, const string_t&) { return scalar(Value{Kind::floating, false, 0, 0, v}); }
  bool binary(binary_t&) { return scalar(Value{Kind::other}); }
  bool string(string_t& s) { return scalar(Value{Kind::string, false, 0, 0, 0, &s}); }

  bool start_object(std::size_t) { return open(false); }
  bool start_array(std::size_t) { return open(true); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(string_t& k) {
    if (capture_.active()) capture_.key(k);
    if (depth_ == 0 || depth_ > max_depth) return true;
    frames_[depth_ - 1].name = name_of(k);
    usage_.key(frames_.data(), depth_);
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

  /// The reading, once the whole body parsed, written into `out` (a fresh `Completion`): each
  /// string moves once, from the reader to where its reader wants it.
  void finish(providers::Completion& out) && {
    if (!top_is_object_) return;
    choices_.finish(out);
    out.usage = usage_.usage();
    out.id = id_;
  }

 private:
  static constexpr std::size_t max_depth = 8;

  bool open(bool array) {
    if (depth_ >= max_nesting_) {
      too_deep_ = true;
      return false;
    }
    if (depth_ == 0) top_is_object_ = !array;
    else begin(Value{array ? Kind::array : Kind::object});
    ++depth_;
    if (depth_ <= max_depth) frames_[depth_ - 1] = Frame{array};
    return true;
  }

  bool close() {
    if (capture_.active()) capture_.close();
    else if (depth_ <= max_depth && !frames_[depth_ - 1].array) choices_.closed(Path{frames_.data(), depth_ - 1}, capture_);
    --depth_;
    next_element();
    return true;
  }

  bool scalar(const Value& v) {
    if (depth_ == 0) {
      top_is_object_ = false;
      return true;
    }
    begin(v);
    next_element();
    return true;
  }

  /// A value — scalar, object or array — begins at the current path.
  void begin(const Value& v) {
    if (capture_.active()) return capture_.value(v);
    if (depth_ > max_depth) return;
    const Path p{frames_.data(), depth_};
    usage_.value(p, v);
    if (depth_ == 1 && !frames_[0].array && frames_[0].name == id_name_)
      id_ = v.string() ? providers::RequestId(*v.string()) : providers::RequestId{};
    choices_.value(p, v, capture_);
    if (capture_.active()) capture_.value(v);  // the captured value's root
  }

  /// After a value inside an array, the next element has the next index.
  void next_element() noexcept {
    if (depth_ > 0 && depth_ <= max_depth && frames_[depth_ - 1].array) ++frames_[depth_ - 1].index;
  }

  Choices choices_;
  std::size_t max_nesting_;
  Name id_name_;
  bool too_deep_ = false;
  bool top_is_object_ = false;
  std::array<Frame, max_depth> frames_{};
  std::size_t depth_ = 0;
  UsageFields usage_;
  JsonCapture capture_;
  providers::RequestId id_{};
};

}  // namespace detail

namespace detail {

/// Parses `body` through `reader`, within `limits`; a `parse_error` when it is past them or is
/// not JSON.
template <class Reader>
Result<void> parse_answer(Reader& reader, std::string_view body, const JsonLimits& limits) {
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

/// Reads `body` with the reader of `Choices` into `into`.
template <class Choices>
Result<void> read_answer(providers::Dialect dialect, std::string_view body, const JsonLimits& limits,
                         std::optional<providers::Completion>& into) {
  AnswerReader<Choices> reader(dialect, limits);
  auto parsed = parse_answer(reader, body, limits);
  if (parsed) std::move(reader).finish(into.emplace());
  return parsed;
}

/// The reading of a successful reply from a provider of `dialect`, written into `into`: the
/// completion when the body reads, else nothing (and the `parse_error`: the body is not JSON
/// or is past `limits`). A reply that keeps its reading (`transport::Reply::completion`) gets
/// its strings moved once, from the reader into the reply, with no `Result` of a `Completion`
/// between. Out of line: the reading (the reader's set-up, the parse, the reader's strings
/// freed) is one piece, which every driver that reads a reply would otherwise carry inlined.
[[gnu::noinline]] inline Result<void> decode_answer(providers::Dialect dialect, std::string_view body,
                                                    const JsonLimits& limits,
                                                    std::optional<providers::Completion>& into) {
  into.reset();
  switch (dialect) {
    case providers::Dialect::anthropic: return read_answer<MessageBlocks>(dialect, body, limits, into);
    case providers::Dialect::gemini: return read_answer<GeminiCandidates>(dialect, body, limits, into);
    default: return read_answer<ChatChoices>(dialect, body, limits, into);
  }
}

/// The same reading, returned.
inline Result<providers::Completion> decode_answer(providers::Dialect dialect, std::string_view body,
                                                   const JsonLimits& limits) {
  std::optional<providers::Completion> into;
  if (auto parsed = decode_answer(dialect, body, limits, into); !parsed) return tl::unexpected(std::move(parsed).error());
  return std::move(*into);
}

}  // namespace detail

}  // namespace governed::dialect
