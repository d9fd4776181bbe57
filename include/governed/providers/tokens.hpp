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
/// `Calibration` learns per model from `usage.prompt_tokens`: it tracks the 90th percentile of
/// actual/estimate over the last replies, not the mean, because an estimate that is low half
/// the time still triggers tokens-per-minute 429s half the time.

#include <governed/providers/table.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

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
  std::size_t letters = 0, digits = 0, spaces = 0, punct = 0, other = 0;
  for (unsigned char c : text) {
    if (c >= 0x80) {
      if ((c & 0xC0) != 0x80) ++other;  // the lead byte of a multi-byte character
    } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
      ++letters;
    } else if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      ++spaces;
    } else {
      ++punct;
    }
  }
  return static_cast<double>(letters) / letters_per_token + 0.5 * static_cast<double>(digits) +
         0.6 * static_cast<double>(punct) + 0.2 * static_cast<double>(spaces) + static_cast<double>(other);
}

/// The prompt's tokens: each message's text, role and name, the per-message framing, and the
/// tokens that prime the reply.
inline std::int64_t estimate_prompt(const EstimateParams& p, std::span<const ChatMessage> messages) noexcept {
  double t = p.tokens_per_reply;
  for (const auto& m : messages) {
    t += p.tokens_per_message + std::ceil(text_tokens(m.content, p.letters_per_token)) +
         std::ceil(text_tokens(m.role, p.letters_per_token));
    if (!m.name.empty()) t += 1 + std::ceil(text_tokens(m.name, p.letters_per_token));
  }
  return static_cast<std::int64_t>(t);
}

/// The whole request: prompt plus `n × max_tokens`.
inline TokenEstimate estimate_request(const EstimateParams& p, std::span<const ChatMessage> messages,
                                      std::int64_t max_tokens, std::int64_t n = 1) noexcept {
  return {estimate_prompt(p, messages), std::max<std::int64_t>(0, max_tokens) * std::max<std::int64_t>(1, n)};
}

/// Per-model correction of the prompt estimate from real usage. Thread-safe.
class Calibration {
 public:
  /// `quantile`: which upper quantile of actual/estimate to track (0.9 = the 90th
  /// percentile); `window`: how many recent replies per model; `min_samples`: below this the
  /// factor is the largest ratio seen (at least 1), because a quantile of three samples is noise.
  explicit Calibration(double quantile = 0.9, std::size_t window = 128, std::size_t min_samples = 8)
      : quantile_(std::clamp(quantile, 0.5, 1.0)), window_(std::max<std::size_t>(window, 1)),
        min_samples_(std::max<std::size_t>(min_samples, 1)) {}

  /// Records one reply: what was estimated for the prompt and what the provider counted.
  void observe(std::string_view model, std::int64_t estimated, std::int64_t actual) {
    if (estimated <= 0 || actual < 0) return;
    const double ratio = static_cast<double>(actual) / static_cast<double>(estimated);
    std::lock_guard lk(m_);
    auto it = models_.find(model);
    if (it == models_.end()) it = models_.emplace(std::string(model), Window{}).first;
    Window& w = it->second;
    if (w.ratios.size() < window_) w.ratios.push_back(ratio);
    else w.ratios[w.next] = ratio;
    w.next = (w.next + 1) % window_;
    w.factor = compute(w.ratios);
  }

  /// The multiplier for this model's estimates (1 until it has seen a reply).
  double factor(std::string_view model) const {
    std::lock_guard lk(m_);
    auto it = models_.find(model);
    return it == models_.end() ? 1.0 : it->second.factor;
  }

  /// `estimate` corrected for this model, rounded up.
  std::int64_t adjust(std::string_view model, std::int64_t estimate) const {
    return static_cast<std::int64_t>(std::ceil(static_cast<double>(estimate) * factor(model)));
  }

 private:
  struct Window {
    std::vector<double> ratios;
    std::size_t next = 0;
    double factor = 1.0;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  double compute(std::vector<double> r) const {
    double f;
    if (r.size() < min_samples_) {
      f = std::max(1.0, *std::max_element(r.begin(), r.end()));
    } else {
      const auto k = static_cast<std::size_t>(std::ceil(quantile_ * static_cast<double>(r.size()))) - 1;
      std::nth_element(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(k), r.end());
      f = r[k];
    }
    // A tokenizer is never off by more than this; beyond it the sample is a reporting error.
    return std::clamp(f, 0.25, 8.0);
  }

  double quantile_;
  std::size_t window_;
  std::size_t min_samples_;
  mutable std::mutex m_;
  std::unordered_map<std::string, Window, Hash, std::equal_to<>> models_;
};

}  // namespace governed::providers
