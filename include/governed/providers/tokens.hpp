#pragma once
/// @file
/// Token estimation before a call, and its calibration from what providers report after.
///
/// A tokens-per-minute limit is admitted before the reply says what the request cost, so the
/// governor estimates: letters per token for the model's tokenizer (5.5 on OpenAI's o200k,
/// about 4.4 on Claude's), weights for digits, punctuation and other scripts, the chat
/// format's overhead per message and per reply, and `n × max_tokens` for the completion,
/// which providers reserve up front. An estimate that errs high costs a little throughput;
/// one that errs low costs a 429.
///
/// A request is more than text: images count by their provider's rule (image_tokens.hpp), a
/// PDF by its pages, tools by their definitions' text plus the prompt a provider adds for
/// them, an output schema by its text (`estimate_prompt_parts`). What a provider's stated
/// figure counts (images, pages, the tool prompt) is kept apart from what the letters-per-token
/// estimate counts, because only the latter is a tokenizer's guess.
///
/// `ModelCalibration` learns one model's correction from `usage.prompt_tokens`: it tracks the
/// 90th percentile of actual/estimate over the last replies, not the mean, because an estimate
/// that is low half the time still triggers tokens-per-minute 429s half the time. A `State`
/// holds one per model of its table and multiplies every call's text estimate by it (never the
/// part counted by rule: `text_sample`); `Calibration` keeps them by model name for callers
/// outside a State.

#include <governed/content_part.hpp>
#include <governed/output_format.hpp>
#include <governed/providers/image_size.hpp>
#include <governed/providers/image_tokens.hpp>
#include <governed/providers/table.hpp>
#include <governed/tools.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

namespace governed::providers {

/// One chat message as the estimator sees it.
struct ChatMessage {
  std::string_view role;
  std::string_view content;
  std::string_view name{};
};

struct TokenEstimate {
  std::int64_t prompt = 0;
  std::int64_t completion = 0;  ///< n × max_tokens: what the provider reserves
  std::int64_t total() const noexcept { return prompt + completion; }
};

/// Tokens in a text, by character class: ASCII letters at `letters_per_token` (words merge
/// into few tokens), digits at half a token (tokenizers split numbers into groups of up to
/// three), punctuation at 0.6 (brackets, quotes and operators are mostly tokens of their own:
/// code and JSON cost more than prose), whitespace at 0.2, and one token per non-ASCII
/// character. The weights were fitted on a sample of prose, code, JSON error bodies and six
/// languages against OpenAI's tokenizers (tests/providers/data/token_sample.jsonl).
inline double text_tokens(std::string_view text, double letters_per_token) noexcept {
  // Every byte's class from one table rather than a chain of tests: every call estimates its
  // whole prompt, and prompts run to many kilobytes.
  enum : std::uint8_t { letter, digit, space, punct, lead, continuation, classes };
  static constexpr std::array<std::uint8_t, 256> class_of = [] {
    std::array<std::uint8_t, 256> t{};
    for (std::size_t c = 0; c < 256; ++c) {
      if (c >= 0xC0) t[c] = lead;  // the lead byte of a multi-byte character
      else if (c >= 0x80) t[c] = continuation;
      else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') t[c] = letter;
      else if (c >= '0' && c <= '9') t[c] = digit;
      else if (c == ' ' || c == '\n' || c == '\t' || c == '\r') t[c] = space;
      else t[c] = punct;
    }
    return t;
  }();
  std::array<std::size_t, classes> n{};
  for (unsigned char c : text) ++n[class_of[c]];
  return static_cast<double>(n[letter]) / letters_per_token + 0.5 * static_cast<double>(n[digit]) +
         0.6 * static_cast<double>(n[punct]) + 0.2 * static_cast<double>(n[space]) + static_cast<double>(n[lead]);
}

/// A prompt's estimate in two parts. `text` comes from letters per token and the chat format's
/// framing: a guess at a tokenizer, which the calibration corrects. `by_rule` is what a
/// provider's stated figure counts — images by their rule, PDF pages, the prompt a provider adds
/// for tools — exact, or an upper bound when the thing is not seen (an image by URL): scaling it
/// by a text correction would only make it wrong.
struct PromptEstimate {
  std::int64_t text = 0;
  std::int64_t by_rule = 0;
  std::int64_t total() const noexcept { return text + by_rule; }
};

namespace detail {

/// The two parts while they are added up, in whole tokens held as doubles (as each text's
/// estimate is rounded up before it is added, the sums stay whole).
struct PromptTally {
  double text = 0;
  double by_rule = 0;
};

inline double whole_tokens(std::string_view text, double letters_per_token) noexcept {
  return std::ceil(text_tokens(text, letters_per_token));
}

/// How far into a PDF its pages are counted: past the 32 MB Anthropic and the 50 MB OpenAI
/// take in one request, so a PDF any provider accepts is read whole, in one pass.
inline constexpr std::size_t pdf_scan_limit = std::size_t{64} << 20;

/// PDF whitespace and delimiters end a name (ISO 32000-1, 7.2.2): anything else continues it.
constexpr bool ends_pdf_name(char c) noexcept {
  switch (c) {
    case ' ': case '\t': case '\n': case '\r': case '\f': case '\0':
    case '(': case ')': case '<': case '>': case '[': case ']': case '{': case '}': case '/': case '%':
      return true;
    default: return false;
  }
}

/// The pages of a PDF: its page objects, `/Type /Page` with or without the space (`/Pages` is a
/// node of the page tree, not a page), found in one forward pass over at most `pdf_scan_limit`
/// bytes. At least 1: a PDF whose objects sit in compressed object streams (PDF 1.5 and later)
/// shows none of them and counts as one page.
inline std::int64_t pdf_pages(std::string_view pdf) noexcept {
  pdf = pdf.substr(0, std::min(pdf.size(), pdf_scan_limit));
  std::int64_t pages = 0;
  for (std::size_t at = pdf.find("/Type"); at != std::string_view::npos; at = pdf.find("/Type", at)) {
    at += 5;
    while (at < pdf.size() && (pdf[at] == ' ' || pdf[at] == '\r' || pdf[at] == '\n' || pdf[at] == '\t')) ++at;
    if (!pdf.substr(at).starts_with("/Page")) continue;
    at += 5;
    if (at == pdf.size() || ends_pdf_name(pdf[at])) ++pages;
  }
  return std::max<std::int64_t>(pages, 1);
}

/// How many pages a document given by URL counts as: governed cannot see it before the
/// provider fetches it, and its most (100 pages on Anthropic and Gemini) would hold back every
/// call that sends one. Ten pages is governed's convention; a caller who knows better sends
/// the bytes.
inline constexpr std::int64_t unseen_document_pages = 10;

inline bool is_pdf(const ContentPart& d) noexcept {
  return d.media_type == "application/pdf" || std::string_view(d.data).starts_with("%PDF-");
}

/// A document part: its title and text as text; a PDF's bytes by their pages; other bytes
/// (plain text) as text; a document by URL at `unseen_document_pages`.
inline void count_document(const EstimateParams& p, const ContentPart& d, PromptTally& into) noexcept {
  into.text += whole_tokens(d.title, p.letters_per_token);
  const double page = p.tokens_per_document_page;
  if (!d.text.empty()) into.text += whole_tokens(d.text, p.letters_per_token);
  else if (!d.data.empty() && is_pdf(d)) into.by_rule += static_cast<double>(pdf_pages(d.data)) * page;
  else if (!d.data.empty()) into.text += whole_tokens(d.data, p.letters_per_token);
  else if (!d.url.empty()) into.by_rule += static_cast<double>(unseen_document_pages) * page;
}

/// A content part: text as text; an image by its rule, sized from its bytes, or by URL at the
/// rule's most for its detail; a document as above.
inline void count_part(const EstimateParams& p, const ContentPart& part, PromptTally& into) noexcept {
  switch (part.kind) {
    case ContentPart::Kind::text: into.text += whole_tokens(part.text, p.letters_per_token); return;
    case ContentPart::Kind::image: {
      const auto size = part.data.empty() ? std::nullopt : image_size(part.data);
      into.by_rule += image_tokens(p.image, size, part.detail, p.image_patch_multiplier);
      return;
    }
    case ContentPart::Kind::document: count_document(p, part, into); return;
  }
}

/// What a message holds beside its text: its parts, and the tools it called (name and
/// arguments as text).
template <class Message>
void count_message_extras(const EstimateParams& p, const Message& m, PromptTally& into) noexcept {
  for (const auto& part : m.parts) count_part(p, part, into);
  for (const auto& call : m.tool_calls)
    into.text += whole_tokens(call.name, p.letters_per_token) + whole_tokens(call.arguments, p.letters_per_token);
}

/// Each message's text, role and name, the per-message framing and the tokens that prime the
/// reply; and for a message with parts or tool calls, those.
template <class Messages>
PromptTally tally_messages(const EstimateParams& p, const Messages& messages) noexcept {
  PromptTally t{static_cast<double>(p.tokens_per_reply), 0};
  for (const auto& m : messages) {
    t.text += p.tokens_per_message + std::ceil(text_tokens(m.content, p.letters_per_token)) +
              std::ceil(text_tokens(m.role, p.letters_per_token));
    if constexpr (requires { m.name; }) {
      if (!m.name.empty()) t.text += 1 + std::ceil(text_tokens(m.name, p.letters_per_token));
    }
    // A text message pays two tests here and nothing more.
    if constexpr (requires { m.parts; m.tool_calls; }) {
      if (!m.parts.empty() || !m.tool_calls.empty()) [[unlikely]]
        count_message_extras(p, m, t);
    }
  }
  return t;
}

/// The tools a request offers: each one's name, description and parameters' schema as text,
/// with `tokens_per_tool` of framing; the provider's tool prompt once.
template <class Tools>
void count_tools(const EstimateParams& p, const Tools& tools, PromptTally& into) noexcept {
  for (const Tool& tool : tools)
    into.text += p.tokens_per_tool + whole_tokens(tool.name, p.letters_per_token) +
                 whole_tokens(tool.description, p.letters_per_token) +
                 whole_tokens(tool.parameters.text(), p.letters_per_token);
  into.by_rule += p.tool_prompt_tokens;
}

}  // namespace detail

/// The prompt's tokens: each message's text, role and name, the per-message framing, and the
/// tokens that prime the reply; for messages that have them (a `Request`'s), their content
/// parts and tool calls too. `Messages` is any range of messages with a `role` and a `content`
/// (and a `name`, when they have one): `ChatMessage`s, or a `Request`'s own messages, read
/// where they are.
template <class Messages>
std::int64_t estimate_prompt(const EstimateParams& p, const Messages& messages) noexcept {
  const detail::PromptTally t = detail::tally_messages(p, messages);
  return static_cast<std::int64_t>(t.text + t.by_rule);
}
inline std::int64_t estimate_prompt(const EstimateParams& p, std::span<const ChatMessage> messages) noexcept {
  return estimate_prompt<std::span<const ChatMessage>>(p, messages);
}

/// A whole call as the estimate reads it: its messages, the tools it offers and the shape of
/// its answer (a `Request`; providers/ names no `Request`, which is built on it).
template <class Call>
concept EstimatedCall = requires(const Call& c) {
  c.messages;
  c.tools;
  c.output;
};

/// The prompt of a whole call, in its two parts: its messages as `estimate_prompt` counts
/// them, its tools (`detail::count_tools`), and a JSON schema it asks the answer to follow
/// (name and schema as text: every provider puts the schema in the prompt).
template <EstimatedCall Call>
PromptEstimate estimate_prompt_parts(const EstimateParams& p, const Call& call) noexcept {
  detail::PromptTally t = detail::tally_messages(p, call.messages);
  if (!call.tools.empty()) [[unlikely]]
    detail::count_tools(p, call.tools, t);
  if (call.output.kind == OutputFormat::Kind::json_schema) [[unlikely]]
    t.text += detail::whole_tokens(call.output.name, p.letters_per_token) +
              detail::whole_tokens(call.output.schema.text(), p.letters_per_token);
  return {static_cast<std::int64_t>(t.text), static_cast<std::int64_t>(t.by_rule)};
}

/// The same, as one figure.
template <EstimatedCall Call>
std::int64_t estimate_prompt(const EstimateParams& p, const Call& call) noexcept {
  return estimate_prompt_parts(p, call).total();
}

/// What one reply can teach a calibration of the text estimate: the text part estimated, and
/// what the provider counted less the part counted by rule. None when the part by rule is more
/// than a quarter of the prompt: an image by URL counts at its rule's most and may cost a
/// tenth of it, so what is left of a reply would be the text's share of an error, not its
/// tokens — a call that is mostly images would teach a text ratio of nothing, and the next
/// text-only calls would be admitted low and answered with 429s. Also none when the
/// provider counted less than the rule alone.
struct TextSample {
  std::int64_t estimated = 0;
  std::int64_t actual = 0;
};
inline std::optional<TextSample> text_sample(const PromptEstimate& e, std::int64_t reported) noexcept {
  if (e.by_rule == 0) return TextSample{e.text, reported};
  if (e.by_rule * 3 > e.text || reported <= e.by_rule) return std::nullopt;
  return TextSample{e.text, reported - e.by_rule};
}

/// The whole request: prompt plus `n × max_tokens`.
template <class Messages>
TokenEstimate estimate_request(const EstimateParams& p, const Messages& messages, std::int64_t max_tokens,
                               std::int64_t n = 1) noexcept {
  return {estimate_prompt(p, messages), std::max<std::int64_t>(0, max_tokens) * std::max<std::int64_t>(1, n)};
}
inline TokenEstimate estimate_request(const EstimateParams& p, std::span<const ChatMessage> messages,
                                      std::int64_t max_tokens, std::int64_t n = 1) noexcept {
  return estimate_request<std::span<const ChatMessage>>(p, messages, max_tokens, n);
}

/// How a calibration learns: which upper quantile of actual/estimate it tracks (0.9: the 90th
/// percentile), over how many recent replies (at most `ModelCalibration::capacity`), and below
/// how many samples it takes the largest ratio seen instead (a quantile of three is noise).
struct CalibrationSettings {
  double quantile = 0.9;
  std::size_t window = 128;
  std::size_t min_samples = 8;
};

/// One model's correction of the prompt estimate from real usage. Reading the factor is one
/// relaxed atomic load, so every call can afford it; recording a reply takes a flag as a lock
/// (one atomic exchange: a call that records its reply takes nothing heavier) and allocates
/// nothing (a fixed ring of ratios, the quantile found on a copy on the stack).
class ModelCalibration {
 public:
  /// The most replies a window holds: 128 ratios, 1 KiB.
  static constexpr std::size_t capacity = 128;

  explicit ModelCalibration(CalibrationSettings s = {}) noexcept { configure(s); }
  ModelCalibration(const ModelCalibration&) = delete;
  ModelCalibration& operator=(const ModelCalibration&) = delete;

  /// Sets how it learns, clamped to what it can do (quantile 0.5..1, window 1..capacity);
  /// before any reply is recorded, on one thread.
  void configure(CalibrationSettings s) noexcept {
    quantile_ = std::clamp(s.quantile, 0.5, 1.0);
    window_ = std::clamp<std::size_t>(s.window, 1, capacity);
    min_samples_ = std::max<std::size_t>(s.min_samples, 1);
  }

  /// The multiplier for the model's prompt estimates: 1 until it has seen a reply. Relaxed:
  /// the factor is a hint read by every call, and one call more on the previous factor is harmless.
  double factor() const noexcept { return factor_.load(std::memory_order_relaxed); }

  /// `estimate` corrected, rounded up.
  std::int64_t adjust(std::int64_t estimate) const noexcept {
    return static_cast<std::int64_t>(std::ceil(static_cast<double>(estimate) * factor()));
  }

  /// Records one reply: what was estimated for the prompt (before any correction) and what the
  /// provider counted, and works the factor out again. Waits for a reply being recorded on
  /// another thread.
  void observe(std::int64_t estimated, std::int64_t actual) noexcept {
    if (estimated <= 0 || actual < 0) return;
    const Held held = take(busy_);
    add(static_cast<double>(actual) / static_cast<double>(estimated));
    factor_.store(compute(), std::memory_order_relaxed);
  }

  /// The same for the call path, where no call should queue behind another's bookkeeping:
  /// when another thread is recording a reply of this model, this one is skipped and false
  /// returned (a window of 128 replies loses nothing by missing one). Once the window has
  /// `min_samples`, the factor is worked out again every `recompute_every`-th reply (or every
  /// window, when that is shorter): finding the quantile of 128 ratios costs about as much
  /// as the rest of a governed call, and a 90th percentile moves only after a tenth of the
  /// window has changed anyway.
  bool try_observe(std::int64_t estimated, std::int64_t actual) noexcept {
    if (estimated <= 0 || actual < 0) return true;
    const Held held = try_take(busy_);
    if (!held) return false;
    add(static_cast<double>(actual) / static_cast<double>(estimated));
    if (count_ <= min_samples_ || ++since_computed_ >= std::min(recompute_every, window_)) {
      since_computed_ = 0;
      factor_.store(compute(), std::memory_order_relaxed);
    }
    return true;
  }

  /// How often `try_observe` works the factor out again, in replies.
  static constexpr std::size_t recompute_every = 16;

  /// Replies in the window.
  std::size_t samples() const {
    const Held held = take(busy_);
    return count_;
  }

 private:
  /// `busy_` held for a scope: taken by exchanging it to true (acquire), given back by storing
  /// false (release). A holder works on at most 128 numbers, so `take` spins (yielding) no
  /// longer than that; `try_take` never waits and holds nothing when the flag was taken.
  struct [[nodiscard]] Held {
    std::atomic<bool>* flag;
    explicit Held(std::atomic<bool>* f) noexcept : flag(f) {}
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    ~Held() {
      if (flag) flag->store(false, std::memory_order_release);
    }
    explicit operator bool() const noexcept { return flag != nullptr; }
  };
  static Held take(std::atomic<bool>& flag) noexcept {
    while (flag.exchange(true, std::memory_order_acquire)) std::this_thread::yield();
    return Held{&flag};
  }
  static Held try_take(std::atomic<bool>& flag) noexcept {
    return Held{flag.exchange(true, std::memory_order_acquire) ? nullptr : &flag};
  }

  /// The caller holds `busy_`.
  void add(double ratio) noexcept {
    ratios_[next_] = ratio;
    if (++next_ == window_) next_ = 0;
    count_ = std::min(count_ + 1, window_);
  }

  double compute() const noexcept {
    std::array<double, capacity> r;
    std::copy_n(ratios_.begin(), count_, r.begin());
    const auto end = r.begin() + static_cast<std::ptrdiff_t>(count_);
    double f;
    if (count_ < min_samples_) {
      f = std::max(1.0, *std::max_element(r.begin(), end));
    } else {
      const auto k = static_cast<std::size_t>(std::ceil(quantile_ * static_cast<double>(count_))) - 1;
      std::nth_element(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(k), end);
      f = r[k];
    }
    // A tokenizer is never off by more than this; beyond it the sample is a reporting error.
    return std::clamp(f, 0.25, 8.0);
  }

  mutable std::atomic<bool> busy_{false};
  std::array<double, capacity> ratios_{};
  std::size_t next_ = 0, count_ = 0, since_computed_ = 0;
  double quantile_ = 0.9;
  std::size_t window_ = capacity;
  std::size_t min_samples_ = 8;
  std::atomic<double> factor_{1.0};
};

/// Per-model correction of the prompt estimate from real usage, for models named by the
/// caller (a `State` holds one `ModelCalibration` per model of its table instead, found
/// without a name). Thread-safe.
class Calibration {
 public:
  /// `quantile`: which upper quantile of actual/estimate to track (0.9 = the 90th
  /// percentile); `window`: how many recent replies per model (at most
  /// `ModelCalibration::capacity`); `min_samples`: below this the factor is the largest ratio
  /// seen (at least 1), because a quantile of three samples is noise.
  explicit Calibration(double quantile = 0.9, std::size_t window = ModelCalibration::capacity,
                       std::size_t min_samples = 8)
      : settings_{quantile, window, min_samples} {}

  /// Records one reply: what was estimated for the prompt and what the provider counted.
  void observe(std::string_view model, std::int64_t estimated, std::int64_t actual) {
    if (estimated <= 0 || actual < 0) return;
    ModelCalibration* c;
    {
      std::lock_guard lk(m_);
      auto it = models_.find(model);
      if (it == models_.end())
        it = models_.emplace(std::string(model), std::make_unique<ModelCalibration>(settings_)).first;
      c = it->second.get();
    }
    c->observe(estimated, actual);  // entries are never removed: the pointer stays valid
  }

  /// The multiplier for this model's estimates (1 until it has seen a reply).
  double factor(std::string_view model) const {
    std::lock_guard lk(m_);
    auto it = models_.find(model);
    return it == models_.end() ? 1.0 : it->second->factor();
  }

  /// `estimate` corrected for this model, rounded up.
  std::int64_t adjust(std::string_view model, std::int64_t estimate) const {
    return static_cast<std::int64_t>(std::ceil(static_cast<double>(estimate) * factor(model)));
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  CalibrationSettings settings_;
  mutable std::mutex m_;
  std::unordered_map<std::string, std::unique_ptr<ModelCalibration>, Hash, std::equal_to<>> models_;
};

}  // namespace governed::providers
