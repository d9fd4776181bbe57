#pragma once
/// @file
/// The reader behind every home's `decode_error` (dialect/error.hpp): one provider-neutral
/// reading of an error body into `providers::ErrorBody`.
///
/// Providers nest the same facts differently: OpenAI and its compatibles
/// `{"error":{"message","type","code","param"}}`, Anthropic
/// `{"type":"error","error":{"type","message"}}`, Gemini and Vertex
/// `{"error":{"code","message","status","details":[QuotaFailure, RetryInfo, ErrorInfo]}}`
/// (streaming endpoints wrap it in an array), OpenRouter adds `error.metadata.headers` and
/// `error.metadata.raw`, Mistral `{"object":"error","message","type","code":"1300"}`, RFC 7807
/// gateways `{"title","detail","status"}`, Bedrock `{"message"}`, and some send plain text.
/// One reader takes every shape, whoever the table says sent it: a gateway in front of a
/// provider answers in its own shape, and an error must be classified whatever it looks like.

#include <governed/ascii.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/error_body.hpp>
#include <governed/providers/wait.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::dialect {

/// The most of an error body read as JSON: 256 KiB and 32 levels. Providers' error bodies are
/// a few hundred bytes, four or five levels deep (Gemini's QuotaFailure violations are the
/// deepest); a body past either limit is not one, and is read as text, so hostile input costs
/// neither stack nor time.
inline constexpr JsonLimits error_body_limits{std::size_t{256} * 1024, 32};

namespace detail {

/// A SAX reader that keeps only the fields above. Classifying a 429 is on the retry path of
/// every call; building a DOM of the body would cost more than everything the classifier
/// does with it, so the body is read once, in place, into the few strings it needs.
class ErrorBodyReader {
 public:
  using json = nlohmann::json;
  ErrorBodyReader(providers::ErrorBody& out, std::size_t max_depth) : out_(out), max_depth_(max_depth) {}

  bool null() { return scalar(nullptr); }
  bool boolean(bool) { return scalar(nullptr); }
  bool number_integer(json::number_integer_t v) {
    std::string s = std::to_string(v);
    return scalar(&s);
  }
  bool number_unsigned(json::number_unsigned_t v) {
    std::string s = std::to_string(v);
    return scalar(&s);
  }
  bool number_float(json::number_float_t, const json::string_t&) { return scalar(nullptr); }
  bool string(json::string_t& v) { return scalar(&v); }
  bool binary(json::binary_t&) { return scalar(nullptr); }
  bool key(json::string_t& k) {
    key_ = segment_of(k);
    if (in(Seg::headers, 4)) header_key_ = k;  // a name in error.metadata.headers
    return true;
  }
  bool start_object(std::size_t) { return open(false); }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(true); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

  /// Folds the flat and nested shapes into `out` once the whole body is read.
  void finish() {
    if (error_object_) {
      if (out_.message.empty()) out_.message = std::move(first_errors_message_);
      if (out_.type.empty()) out_.type = std::move(flat_.type);
    } else {
      if (out_.message.empty()) out_.message = std::move(flat_.message);
      if (out_.message.empty()) out_.message = std::move(flat_.detail);
      if (out_.message.empty()) out_.message = std::move(flat_.title);
      out_.code = std::move(flat_.code);
      out_.type = std::move(flat_.type);
      out_.status = std::move(flat_.status);
    }
    if (out_.type == "error") out_.type.clear();  // Anthropic's envelope, not a kind
  }

 private:
  enum class Seg : std::uint8_t {
    other, item, error, message, code, type, status, details, errors, metadata, raw, headers,
    at_type, retry_delay, reason, violations, quota_id, quota_metric, quota_value, detail, title,
  };

  static Seg segment_of(std::string_view k) noexcept {
    static constexpr std::pair<std::string_view, Seg> names[] = {
        {"error", Seg::error},          {"message", Seg::message},   {"code", Seg::code},
        {"type", Seg::type},            {"status", Seg::status},     {"details", Seg::details},
        {"errors", Seg::errors},        {"metadata", Seg::metadata}, {"raw", Seg::raw},
        {"headers", Seg::headers},      {"@type", Seg::at_type},     {"retryDelay", Seg::retry_delay},
        {"reason", Seg::reason},        {"violations", Seg::violations}, {"quotaId", Seg::quota_id},
        {"quotaMetric", Seg::quota_metric}, {"quotaValue", Seg::quota_value},
        {"detail", Seg::detail}, {"title", Seg::title}};
    for (const auto& [n, s] : names)
      if (n == k) return s;
    return Seg::other;
  }

  struct Frame {
    Seg seg;
    bool array;
    std::size_t items = 0;
  };

  // The path below the root object: segments of the open containers after the root, then
  // the current key. A top-level array (streaming endpoints) contributes its first element.
  std::size_t base() const noexcept { return !stack_.empty() && stack_[0].array ? 1 : 0; }
  bool rooted() const noexcept {
    if (stack_.empty()) return false;
    if (!stack_[0].array) return true;
    return stack_.size() >= 2 && stack_[0].items == 1 && !stack_[1].array;
  }
  std::size_t depth() const noexcept { return stack_.size() - base(); }  // 1 = in the root object
  Seg at(std::size_t level) const noexcept { return stack_[base() + level].seg; }  // level ≥ 1
  /// The current container is at `level` and sits under `seg`.
  bool in(Seg seg, std::size_t level) const noexcept {
    return rooted() && depth() == level && at(level - 1) == seg;
  }
  bool under_error(std::size_t level) const noexcept { return depth() >= level && at(1) == Seg::error; }

  Seg here() const noexcept { return stack_.back().array ? Seg::item : key_; }

  bool open(bool array) {
    if (stack_.size() >= max_depth_) return false;
    const Seg s = stack_.empty() ? Seg::other : here();
    if (!stack_.empty()) ++stack_.back().items;
    stack_.push_back({s, array});
    if (!array && rooted() && depth() == 2 && at(1) == Seg::error) error_object_ = true;
    if (!array && rooted() && depth() == 4 && under_error(4) && at(2) == Seg::details) {
      item_ = {};
      violation_ = 0;
    }
    return true;
  }

  bool close() {
    if (stack_.empty()) return false;
    if (!stack_.back().array && rooted() && depth() == 4 && under_error(4) && at(2) == Seg::details) {
      // One google.rpc detail: its @type says what its fields mean.
      if (item_.type.ends_with("QuotaFailure")) {
        for (auto& q : item_.quota) out_.quota_ids.push_back(std::move(q));
        out_.quota_zero |= item_.quota_zero;
      } else if (item_.type.ends_with("RetryInfo")) {
        if (!item_.retry_delay.empty()) out_.retry_delay = providers::parse_go_duration(item_.retry_delay);
      } else if (item_.type.ends_with("ErrorInfo") && !item_.reason.empty()) {
        out_.reasons.push_back(std::move(item_.reason));
      }
    }
    stack_.pop_back();
    return true;
  }

  /// A scalar value; `v` is null for values no field wants as text. Values are copied, not
  /// moved: moving would steal the lexer's token buffer and make it regrow for every string.
  bool scalar(std::string* v) {
    if (stack_.empty()) return true;  // a bare scalar body: nothing to read
    const Seg k = here();
    if (stack_.back().array) ++stack_.back().items;
    if (!v || !rooted()) return true;
    const std::size_t d = depth();
    if (d == 1) {
      switch (k) {
        case Seg::error: out_.message = *v; break;  // {"error": "text"}
        case Seg::message: flat_.message = *v; break;
        case Seg::detail: flat_.detail = *v; break;
        case Seg::title: flat_.title = *v; break;
        case Seg::code: flat_.code = *v; break;
        case Seg::type: flat_.type = *v; break;
        case Seg::status: flat_.status = *v; break;
        default: break;
      }
      return true;
    }
    if (!under_error(d)) return true;
    if (d == 2) {
      switch (k) {
        case Seg::message: out_.message = *v; break;
        case Seg::code: out_.code = *v; break;
        case Seg::type: out_.type = *v; break;
        case Seg::status: out_.status = *v; break;
        default: break;
      }
    } else if (d == 3 && at(2) == Seg::metadata && k == Seg::raw) {
      out_.upstream = *v;
    } else if (d == 4 && at(2) == Seg::metadata && at(3) == Seg::headers) {
      out_.meta_headers.emplace_back(header_key_, *v);
    } else if (d == 4 && at(2) == Seg::errors && at(3) == Seg::item) {
      if (k == Seg::reason) out_.reasons.push_back(*v);
      else if (k == Seg::message && first_errors_message_.empty()) first_errors_message_ = *v;
    } else if (d == 4 && at(2) == Seg::details && at(3) == Seg::item) {
      if (k == Seg::at_type) item_.type = *v;
      else if (k == Seg::retry_delay) item_.retry_delay = *v;
      else if (k == Seg::reason) item_.reason = *v;
    } else if (d == 6 && at(2) == Seg::details && at(4) == Seg::violations) {
      // One violation object: its id and metric go into one string.
      if (k == Seg::quota_id || k == Seg::quota_metric) {
        const std::size_t which = stack_[stack_.size() - 2].items;  // its place in `violations`
        if (violation_ != which || item_.quota.empty()) item_.quota.emplace_back();
        violation_ = which;
        item_.quota.back().append(item_.quota.back().empty() ? "" : " ").append(*v);
      } else if (k == Seg::quota_value && *v == "0") {
        item_.quota_zero = true;
      }
    }
    return true;
  }

  struct Flat {
    std::string message, detail, title, code, type, status;
  };
  struct DetailItem {
    std::string type, retry_delay, reason;
    std::vector<std::string> quota;
    bool quota_zero = false;
  };

  providers::ErrorBody& out_;
  std::size_t max_depth_;
  std::vector<Frame> stack_;
  Seg key_ = Seg::other;
  std::string header_key_;
  bool error_object_ = false;
  Flat flat_;
  DetailItem item_;
  std::string first_errors_message_;
  std::size_t violation_ = 0;
};

/// Reads an error body in any provider's shape. Never throws for any input; a body that is not JSON (or is past
/// `limits`, too deep or too large to be an error) becomes the message text, its first 2000
/// bytes. The reader never recurses: nlohmann's SAX parser keeps its own stack, and the
/// handler's stops at `limits.max_depth`.
inline providers::ErrorBody read_error_body(std::string_view body, const JsonLimits& limits) {
  providers::ErrorBody out;
  const std::string_view trimmed = ascii::trim(body);
  if (trimmed.empty()) return out;
  if ((trimmed.front() == '{' || trimmed.front() == '[') && trimmed.size() <= limits.max_bytes) {
    ErrorBodyReader reader(out, limits.max_depth);
    if (nlohmann::json::sax_parse(trimmed.begin(), trimmed.end(), &reader)) {
      reader.finish();
      out.json = true;
      return out;
    }
    out = providers::ErrorBody{};
  }
  out.message.assign(trimmed.substr(0, 2000));
  return out;
}

}  // namespace detail

}  // namespace governed::dialect
