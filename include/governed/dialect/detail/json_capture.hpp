#pragma once
/// @file
/// `JsonCapture`: one value of a body read in one pass, kept whole as JSON text — a tool
/// call's arguments where the provider sends them as an object (Anthropic's `input`, Gemini's
/// `functionCall.args`).
///
/// The text must be what the document readers write for the same value, `value.dump()`, and
/// nlohmann writes an object's members sorted: so the value is built as an `nlohmann::json`
/// from the reader's events and dumped once it closes. Only that value is built, never the
/// body. It is built with an explicit stack of the open containers, never by recursion; its
/// depth is bounded by the reader's depth limit, which also bounds the `dump()`.

#include <governed/dialect/detail/answer_path.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace governed::dialect::detail {

class JsonCapture {
 public:
  /// Whether a value is being captured: the reader hands it every event until it closes.
  bool active() const noexcept { return active_; }
  /// Whether a value was captured since the last `clear()`.
  bool has() const noexcept { return has_; }
  /// The captured value as JSON text, and whether it is an object.
  const std::string& text() const noexcept { return text_; }
  bool object() const noexcept { return object_; }

  /// Forgets the last capture (a new tool call begins).
  void clear() noexcept { has_ = false; }

  /// The value beginning now is captured; a later capture replaces it (the last member wins).
  void start() {
    active_ = true;
    stack_.clear();
    root_ = nullptr;
  }

  /// A value begins inside the capture (or is its root).
  void value(const Value& v) {
    nlohmann::json& slot = place();
    switch (v.kind) {
      case Value::Kind::object: slot = nlohmann::json::object(); break;
      case Value::Kind::array: slot = nlohmann::json::array(); break;
      case Value::Kind::boolean: slot = v.truth; break;
      case Value::Kind::integer: slot = v.integer; break;
      case Value::Kind::unsigned_integer: slot = v.unsigned_integer; break;
      case Value::Kind::floating: slot = v.floating; break;
      case Value::Kind::string: slot = *v.text; break;
      default: slot = nullptr; break;
    }
    if (v.is_container()) stack_.push_back(&slot);
    else if (stack_.empty()) done();
  }

  void key(const std::string& k) { key_ = k; }

  /// The innermost open container closes.
  void close() {
    stack_.pop_back();
    if (stack_.empty()) done();
  }

 private:
  /// Where the next value goes: the root, the next element, or the member last keyed (which
  /// it replaces when repeated, as nlohmann's parser does).
  nlohmann::json& place() {
    if (stack_.empty()) return root_;
    nlohmann::json& top = *stack_.back();
    if (top.is_array()) return top.emplace_back();
    return top[key_];
  }

  void done() {
    text_ = root_.dump();
    object_ = root_.is_object();
    has_ = true;
    active_ = false;
    root_ = nullptr;
  }

  bool active_ = false, has_ = false, object_ = false;
  nlohmann::json root_;
  std::vector<nlohmann::json*> stack_;
  std::string key_, text_;
};

}  // namespace governed::dialect::detail
